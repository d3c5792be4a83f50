// `wirelog list` as a table: newest first, a header, a failure mark, the model, and columns
// that fit the terminal (the URL gives way, cut in the middle so its host and its end stay);
// piped, nothing is cut. Widths are counted in terminal columns: a Chinese header is two a character.
import type { ExchangeSummary } from '../model/summary.ts';
import type { Translate } from '../i18n/index.ts';

/** Marks a failed exchange: an HTTP error, or one that ended without a whole answer. */
export const FAILED_MARK = '✗';

const FAILED_STATES = new Set(['aborted', 'upstream_error', 'proxy_error', 'interrupted']);

export function failed(s: ExchangeSummary): boolean {
  return (s.status !== null && s.status >= 400) || FAILED_STATES.has(s.state) || s.diagnosis?.severity === 'error';
}

/** Terminal columns a code point takes: East Asian wide and full-width forms take two. */
function columnsOf(codePoint: number): number {
  if (codePoint < 0x1100) return 1;
  const wide =
    codePoint <= 0x115f ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf && codePoint !== 0x303f) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd);
  return wide ? 2 : 1;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += columnsOf(ch.codePointAt(0)!);
  return width;
}

/** The longest start of `text` that fits `width` columns. */
function fittingStart(text: string, width: number): string {
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = columnsOf(ch.codePointAt(0)!);
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return out;
}

/** `text` in at most `width` columns, its end replaced by '…' when it is longer. */
export function cutEnd(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  return width < 1 ? '' : `${fittingStart(text, width - 1)}…`;
}

/** `text` in at most `width` columns, its middle replaced by '…': a URL keeps its host and its last path segments. */
export function cutMiddle(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width < 1) return '';
  const head = fittingStart(text, Math.ceil((width - 1) * 0.4));
  const tail = [...fittingStart([...text].reverse().join(''), width - 1 - displayWidth(head))].reverse().join('');
  return `${head}…${tail}`;
}

const padEnd = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));
const padStart = (text: string, width: number) => ' '.repeat(Math.max(0, width - displayWidth(text))) + text;

/** Captured text on a terminal: control characters (an escape sequence in a recorded URL) shown, not obeyed. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}KB`;
  return `${(bytes / 1048576).toFixed(1)}MB`;
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 10_000) return `${Math.round(ms)}ms`;
  if (ms < 600_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Pipes and wide terminals get the whole UTC time; narrower ones the month, day and time of day; narrow ones the time of day. */
function formatTime(epochMs: number, width: number | null): string {
  const iso = new Date(epochMs).toISOString();
  if (width === null || width >= 130) return iso.replace('T', ' ').slice(0, 23);
  return width >= 100 ? `${iso.slice(5, 10)} ${iso.slice(11, 19)}` : iso.slice(11, 19);
}

const GAP = '  ';
/** The URL column keeps at least this much of a narrow terminal: it is what tells calls apart. */
const MIN_URL = 24;
const MAX_MODEL = 24;
const MIN_MODEL = 12;

/**
 * The table's lines, header first. `width`: the terminal's columns, or null for a pipe (full
 * width: nothing cut, so `grep` and scripts see every URL whole).
 */
export function listTable(summaries: ExchangeSummary[], width: number | null, t: Translate): string[] {
  const rows = summaries.map((s) => {
    const notes = [
      s.state === 'complete' ? '' : `[${t(`format.state.${s.state}`)}${s.error ? `: ${printable(s.error)}` : ''}]`,
      s.damaged ? `[${t('commands.list.damaged', { reasons: s.damaged.join('; ') })}]` : '',
    ].filter(Boolean);
    return {
      id: String(s.id),
      time: formatTime(s.startedAt, width),
      method: printable(s.method),
      status: `${failed(s) ? FAILED_MARK : ' '} ${s.status === null ? '---' : String(s.status)}`,
      duration: formatDuration(s.durationMs),
      size: formatSize(s.responseSize),
      model: printable(s.call?.model ?? ''),
      url: printable(s.url),
      notes: notes.join(' '),
    };
  });
  const label = (key: string) => t(`commands.list.header.${key}`);
  const header = {
    id: label('id'),
    time: label('time'),
    method: label('method'),
    status: label('status'),
    duration: label('duration'),
    size: label('size'),
    model: label('model'),
    url: label('url'),
    notes: '',
  };
  type Key = 'id' | 'time' | 'method' | 'status' | 'duration' | 'size' | 'model';
  const widthOf = (key: Key) => Math.max(displayWidth(header[key]), ...rows.map((r) => displayWidth(r[key])));
  const anyModel = rows.some((r) => r.model);
  // The columns before the URL; a narrow terminal drops the size, then the model, then the time, before the URL goes under MIN_URL.
  const columns: { key: Key; width: number; right?: boolean }[] = [
    { key: 'id', width: widthOf('id'), right: true },
    { key: 'time', width: widthOf('time') },
    { key: 'method', width: Math.min(widthOf('method'), 10) },
    { key: 'status', width: widthOf('status') },
    { key: 'duration', width: widthOf('duration'), right: true },
    { key: 'size', width: widthOf('size'), right: true },
    ...(anyModel
      ? [{ key: 'model' as const, width: width === null ? widthOf('model') : Math.min(widthOf('model'), MAX_MODEL) }]
      : []),
  ];
  const used = () => columns.reduce((sum, c) => sum + c.width + GAP.length, 0);
  if (width !== null) {
    for (const drop of ['size', 'model', 'time'] as const) {
      const model = columns.find((c) => c.key === 'model');
      // The model gives up width before it gives up its column (a few letters of it say nothing).
      if (model && drop === 'size')
        model.width = Math.max(
          Math.min(model.width, MIN_MODEL),
          Math.min(model.width, width - (used() - model.width) - MIN_URL),
        );
      if (width - used() >= MIN_URL) break;
      const at = columns.findIndex((c) => c.key === drop);
      if (at >= 0) columns.splice(at, 1);
    }
  }
  const urlWidth = width === null ? Infinity : Math.max(8, width - used());
  const line = (r: typeof header, isHeader: boolean) => {
    const cells = columns.map((c) => {
      const text = isHeader || c.key === 'id' || c.key === 'status' ? r[c.key] : cutEnd(r[c.key], c.width);
      return c.right ? padStart(text, c.width) : padEnd(text, c.width);
    });
    const tail = r.notes ? `${r.url} ${r.notes}` : r.url;
    // The URL's end differs between calls (…/chat/completions vs …/responses): cut its middle, and notes after it from their end.
    const fitted =
      urlWidth === Infinity
        ? tail
        : displayWidth(r.url) >= urlWidth
          ? cutMiddle(r.url, urlWidth)
          : cutEnd(tail, urlWidth);
    return `${cells.join(GAP)}${GAP}${fitted}`.trimEnd();
  };
  return [line(header, true), ...rows.map((r) => line(r, false))];
}
