// The figures of an exported session as text in the reader's language, shared by the HTML page
// and the Markdown transcript: token counts whole (an issue report quotes them exactly, not as
// 1.2k), durations, times in UTC (the reader of a shared file may be anywhere), costs with where
// they came from. Only what providers reported: a figure no provider sent reads "not reported".
import type { Translate } from '../i18n/index.ts';
import type { Language } from '../i18n/languages.ts';
import type { CallCost } from '../llm/cost.ts';
import type { SessionHeader, SessionTurn } from '../llm/session.ts';

export function formatInt(n: number, lang: Language): string {
  return new Intl.NumberFormat(lang === 'zh-CN' ? 'zh-CN' : 'en-US').format(n);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** 2026-12-02 09:00:00.000 UTC */
export function utcTime(epochMs: number): string {
  return `${new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '')} UTC`;
}

export const usd = (value: number): string => `$${value.toFixed(4)}`;

/** The token figures of a turn or a session: each one the provider reported, "not reported" for none. */
export function tokenParts(
  t: Translate,
  lang: Language,
  tokens: {
    input?: number | null;
    output?: number | null;
    cacheRead?: number | null;
    cacheWrite?: number | null;
    reasoning?: number | null;
  },
): string[] {
  const parts: string[] = [];
  const add = (
    key: 'input' | 'output' | 'cacheRead' | 'cacheWrite' | 'reasoning',
    value: number | null | undefined,
    always: boolean,
  ) => {
    if (value !== null && value !== undefined)
      parts.push(t(`sessionExport.figures.${key}`, { value: formatInt(value, lang) }));
    else if (always) parts.push(t(`sessionExport.figures.${key}`, { value: t('sessionExport.figures.notReported') }));
  };
  add('input', tokens.input, true);
  add('output', tokens.output, true);
  add('cacheRead', tokens.cacheRead, false);
  add('cacheWrite', tokens.cacheWrite, false);
  add('reasoning', tokens.reasoning, false);
  return parts;
}

export function turnTokens(t: Translate, lang: Language, turn: SessionTurn): string[] {
  const u = turn.usage;
  return tokenParts(t, lang, {
    input: u.input,
    output: u.output,
    cacheRead: u.cacheRead,
    cacheWrite: u.cacheCreation,
    reasoning: u.reasoning,
  });
}

/** Time to first token and duration of a turn. */
export function turnTimes(t: Translate, turn: SessionTurn): string[] {
  const parts: string[] = [];
  if (turn.ttftMs !== null) parts.push(t('sessionExport.figures.ttft', { value: formatMs(turn.ttftMs) }));
  parts.push(
    turn.durationMs === null
      ? t('sessionExport.figures.unfinished')
      : t('sessionExport.figures.duration', { value: formatMs(turn.durationMs) }),
  );
  return parts;
}

/** A turn whose request was stored cut (--max-body-mb): the sizes, and why its inputs are not shown. */
export function requestCutText(t: Translate, lang: Language, cut: { size: number; stored: number }): string {
  return t('sessions.turn.requestCut', {
    size: `${formatInt(cut.size, lang)} B`,
    stored: `${formatInt(cut.stored, lang)} B`,
  });
}

export function callCostText(t: Translate, cost: CallCost | null): string {
  if (!cost) return t('sessionExport.cost.none');
  if (cost.source === 'provider') return t('sessionExport.cost.provider', { usd: usd(cost.usd) });
  if (cost.source === 'estimated')
    return t('sessionExport.cost.estimated', { usd: usd(cost.usd), table: cost.price.table, date: cost.price.date });
  return t('sessionExport.cost.unknown');
}

export function sessionCostText(t: Translate, cost: SessionHeader['cost']): string {
  if (cost.source === 'unknown')
    return cost.pricedUsd > 0
      ? t('sessionExport.cost.partial', { usd: usd(cost.pricedUsd) })
      : t('sessionExport.cost.unknown');
  return `${usd(cost.usd ?? 0)}${cost.source === 'estimated' ? ` (${t('sessions.header.costEstimated')})` : ''}`;
}
