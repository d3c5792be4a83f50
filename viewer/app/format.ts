import type { TFunction } from 'i18next';
import type { ExchangeState } from '../../model/exchange.ts';
import { USAGE_FIELDS, type Usage } from '../../model/token-usage.ts';

// Sizes and durations keep their unit symbols (B, KB, MB, ms, s) in every language: developers
// read them as they are, and Chinese developer tools write them the same way.
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Token counts: 812, 12.4k, 1.2M; a dash when the provider did not say. */
export function formatCount(n: number | null): string {
  if (n === null) return '–';
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function statusClass(status: number | null): string {
  if (status === null) return 'status-none';
  return `status-${Math.floor(status / 100)}xx`;
}

/** Parses text as JSON when it is JSON; undefined otherwise. */
export function tryJson(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed || (!'{["'.includes(trimmed[0]) && !/^(-?\d|true|false|null)/.test(trimmed))) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return undefined;
  }
}

/** The usage figures the provider reported, each labelled in the viewer's language; none added. */
export function usageFigures(usage: Usage, t: TFunction): [label: string, value: number][] {
  return USAGE_FIELDS.filter(([key]) => usage[key] !== undefined).map(([key]) => [
    t(`format.usage.${key}`),
    usage[key]!,
  ]);
}

// One formatter for every figure: Number.toLocaleString builds a new one per call, and the list
// titles every row's usage with it (a screen of new rows a frame while scrolling).
const wholeNumbers = new Intl.NumberFormat('en-US');

/** "input tokens 74 · cache read 13,993" in the viewer's language: every figure reported, none added. */
export function usageText(usage: Usage, t: TFunction): string {
  return USAGE_FIELDS.filter(([key]) => usage[key] !== undefined)
    .map(
      ([key]) =>
        `${t(`format.usage.${key}`)} ${key === 'cost' ? String(usage[key]) : wholeNumbers.format(usage[key]!)}`,
    )
    .join(' · ');
}

/** An exchange's state in a word or two ("upstream error", "上游出错"). */
export function stateLabel(state: ExchangeState, t: TFunction): string {
  return t(`format.state.${state}`);
}
