// `wirelog usage`: tokens, cache and cost of the captured model calls, summed per session, model,
// host or day, as a table that fits 80 columns, as JSON or as CSV. The sums are SQL over the stored
// columns (db/usage-rollup.ts); costs come from llm/cost.ts.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { databasePath, openDatabase, type Db } from '../db/schema.ts';
import { ROLLUP_KEYS, usageCalls, type RollupKey } from '../db/usage-rollup.ts';
import { PRICE_TABLE, rollUp, type UsageGroup } from '../llm/cost.ts';
import { UsageError, dataDirFrom } from './args.ts';
import { prepareDataDir } from './instance.ts';
import { t } from './language.ts';

export const USAGE_HELP_KEY = 'usage.help';

/** The command's --help, in the CLI's language (read when asked: the language is set by then). */
export function usageHelp(): string {
  return t(USAGE_HELP_KEY, { table: `${PRICE_TABLE.name} ${PRICE_TABLE.version}`, date: PRICE_TABLE.date });
}

const FLAGS = {
  'data-dir': { type: 'string' },
  by: { type: 'string' },
  since: { type: 'string' },
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
} as const;

/** Node's parser speaks English: its mistakes are said again from the catalogue, one line each. */
function parseUsageFlags(args: string[]) {
  try {
    return parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    const flag = /'(-[^'\s]*)/.exec(message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(t('usage.errors.unknownFlag', { flag }));
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
      throw new UsageError(t('usage.errors.positional', { arg: /'([^']*)'/.exec(message)?.[1] ?? '' }));
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new UsageError(
        t(/does not take an argument/.test(message) ? 'usage.errors.takesNoValue' : 'usage.errors.needsValue', {
          flag: flag.replace(/=.*$/, ''),
        }),
      );
    throw err;
  }
}

/**
 * Epoch ms of a --since value: an ISO date and time, or a date alone (local midnight, the day
 * `--by day` names). Free forms Date.parse would guess at ("yesterday", "11/24") are refused.
 */
export function parseSince(value: string): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = !/^\d{4}-\d{2}-\d{2}/.test(value) ? NaN : Date.parse(dateOnly ? `${value}T00:00:00` : value);
  if (Number.isNaN(ms)) throw new UsageError(t('usage.errors.since', { value }));
  return ms;
}

export interface UsageOptions {
  by: RollupKey;
  since: number;
}

/** The groups, in a reading order: days and sessions as they happened, models and hosts most used first. */
export function usageGroups(db: Db, options: UsageOptions): UsageGroup[] {
  const groups = rollUp(usageCalls(db, options.by, options.since));
  const chronological = options.by === 'day' || options.by === 'session';
  return groups.sort(
    (a, b) =>
      (chronological ? a.firstAt.localeCompare(b.firstAt) : b.calls - a.calls) ||
      String(a.key).localeCompare(String(b.key)),
  );
}

export async function usageCommand(args: string[]): Promise<number> {
  const values = parseUsageFlags(args);
  const by = (values.by ?? 'session') as RollupKey;
  if (!ROLLUP_KEYS.includes(by)) throw new UsageError(t('usage.errors.by', { value: values.by }));
  const since = values.since === undefined ? 0 : parseSince(values.since);
  if (values.json && values.csv) throw new UsageError(t('usage.errors.format'));
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  if (!fs.existsSync(databasePath(dataDir))) throw new UsageError(t('usage.errors.noDatabase', { dir: dataDir }));
  const db = openDatabase(dataDir);
  try {
    const groups = usageGroups(db, { by, since });
    if (values.json) process.stdout.write(`${JSON.stringify(groups, null, 2)}\n`);
    else if (values.csv) process.stdout.write(csv(groups));
    else process.stdout.write(table(groups, by, values.since));
  } finally {
    db.close();
  }
  return 0;
}

export const CSV_FIELDS = [
  'key',
  'calls',
  'inputTokens',
  'outputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'reasoningTokens',
  'cost',
  'costSource',
  'pricedCost',
  'unpricedCalls',
  'callsWithoutUsage',
  'cacheHitRate',
  'avgTtftMs',
  'outputTokensPerSecond',
  'firstAt',
  'lastAt',
] as const satisfies readonly (keyof UsageGroup)[];

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. A text a
 * spreadsheet would run as a formula (a model name a relay answered with, starting with = + - @)
 * gets a leading apostrophe, so opening the file shows it and runs nothing.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csv(groups: UsageGroup[]): string {
  const lines = [
    CSV_FIELDS.join(','),
    ...groups.map((g) => CSV_FIELDS.map((field) => csvField(g[field] as string | number | null)).join(',')),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

// The table: 80 columns. A key longer than its column (a session id) gets a line of its own.
const WIDTH = 80;
const COLUMNS = [
  ['calls', 6],
  ['input', 8],
  ['output', 8],
  ['cacheRead', 9],
  ['cacheWrite', 9],
  ['reasoning', 7],
  ['hitRate', 5],
  ['cost', 11],
] as const;
const KEY_WIDTH = WIDTH - COLUMNS.reduce((sum, [, w]) => sum + w, 0);

/** Columns a text takes in a terminal: Chinese and other wide characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text)
    width +=
      /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u.test(
        ch,
      )
        ? 2
        : 1;
  return width;
}

const padEnd = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - displayWidth(text)));
const padStart = (text: string, width: number) => ' '.repeat(Math.max(0, width - displayWidth(text))) + text;

/** 12,345 up to 99,999; then 123.4k, 12.3M: at most 6 characters. */
export function compact(n: number): string {
  if (n < 100_000) return Math.round(n).toLocaleString('en-US');
  for (const [size, unit] of [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ] as const)
    if (n >= size) return `${(n / size).toFixed(n / size >= 100 ? 0 : 1)}${unit}`;
  return String(n);
}

export function dollars(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 1) return `$${usd.toFixed(4)}`;
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** The cost column: the provider's figure, ~ an estimate, ? unknown (with the part known, when any). */
export function costCell(g: Pick<UsageGroup, 'cost' | 'costSource' | 'pricedCost'>): string {
  if (g.costSource === 'provider') return dollars(g.cost!);
  if (g.costSource === 'estimated') return `~${dollars(g.cost!)}`;
  return g.pricedCost > 0 ? `${dollars(g.pricedCost)}+?` : '?';
}

function figures(g: UsageGroup): string {
  const cells = [
    String(g.calls),
    compact(g.inputTokens),
    compact(g.outputTokens),
    compact(g.cacheReadTokens),
    compact(g.cacheWriteTokens),
    g.reasoningTokens === null ? '-' : compact(g.reasoningTokens),
    g.cacheHitRate === null ? '-' : `${Math.round(g.cacheHitRate * 100)}%`,
    costCell(g),
  ];
  return cells.map((cell, i) => padStart(cell, COLUMNS[i][1])).join('');
}

function total(groups: UsageGroup[]): UsageGroup {
  const sum = (pick: (g: UsageGroup) => number) => groups.reduce((s, g) => s + pick(g), 0);
  const reported = groups.filter((g) => g.reasoningTokens !== null);
  const sources = new Set(groups.map((g) => g.costSource));
  const costSource = sources.has('unknown') ? 'unknown' : sources.has('estimated') ? 'estimated' : 'provider';
  const pricedCost = sum((g) => g.pricedCost);
  const cached = groups.filter((g) => g.cacheHitRate !== null && g.cacheHitRate > 0);
  const prompt = cached.reduce((s, g) => s + g.cacheReadTokens / g.cacheHitRate!, 0);
  return {
    ...groups[0],
    key: null,
    calls: sum((g) => g.calls),
    inputTokens: sum((g) => g.inputTokens),
    outputTokens: sum((g) => g.outputTokens),
    cacheReadTokens: sum((g) => g.cacheReadTokens),
    cacheWriteTokens: sum((g) => g.cacheWriteTokens),
    reasoningTokens: reported.length ? reported.reduce((s, g) => s + g.reasoningTokens!, 0) : null,
    costSource,
    pricedCost,
    cost: costSource === 'unknown' ? null : pricedCost,
    cacheHitRate:
      prompt > 0
        ? cached.reduce((s, g) => s + g.cacheReadTokens, 0) / prompt
        : groups.some((g) => g.cacheHitRate !== null)
          ? 0
          : null,
    unpricedCalls: sum((g) => g.unpricedCalls),
    callsWithoutUsage: sum((g) => g.callsWithoutUsage),
  };
}

function table(groups: UsageGroup[], by: RollupKey, since: string | undefined): string {
  const sinceText = since === undefined ? '' : ` ${t('usage.table.since', { since })}`;
  if (groups.length === 0) return `${t('usage.table.none', { since: sinceText })}\n`;
  const lines = [`${t(`usage.table.title.${by}`)}${sinceText}`, ''];
  const header =
    padEnd(t(`usage.table.key.${by}`), KEY_WIDTH) +
    COLUMNS.map(([name, width]) => padStart(t(`usage.table.${name}`), width)).join('');
  lines.push(header, '-'.repeat(WIDTH));
  for (const g of groups) {
    const key = g.key ?? t(`usage.table.noKey.${by}`);
    if (displayWidth(key) < KEY_WIDTH) lines.push(padEnd(key, KEY_WIDTH) + figures(g));
    else lines.push(...wrap(key, WIDTH), ' '.repeat(KEY_WIDTH) + figures(g));
  }
  const all = total(groups);
  if (groups.length > 1) lines.push('-'.repeat(WIDTH), padEnd(t('usage.table.total'), KEY_WIDTH) + figures(all));
  lines.push('');
  if (groups.some((g) => g.prices.length)) {
    lines.push(
      ...wrap(
        t('usage.table.legendEstimated', {
          table: `${PRICE_TABLE.name} ${PRICE_TABLE.version}`,
          date: PRICE_TABLE.date,
        }),
        WIDTH,
      ),
    );
  }
  if (all.unpricedCalls) lines.push(...wrap(t('usage.table.legendUnknown', { count: all.unpricedCalls }), WIDTH));
  if (all.callsWithoutUsage)
    lines.push(...wrap(t('usage.table.legendNoUsage', { count: all.callsWithoutUsage }), WIDTH));
  lines.push(...wrap(t('usage.table.legendTokens'), WIDTH));
  return `${lines.join('\n')}\n`;
}

/**
 * A text cut into lines of at most `width` columns: at the last space when it is near the end
 * (English), else anywhere (Chinese has no spaces between words; a long id has none at all).
 */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const ch of text) {
    if (displayWidth(line + ch) > width) {
      const space = line.lastIndexOf(' ');
      if (space > 0 && ch !== ' ' && displayWidth(line.slice(space)) <= 20) {
        lines.push(line.slice(0, space));
        line = line.slice(space + 1);
      } else {
        lines.push(line);
        line = '';
      }
      if (ch === ' ') continue;
    }
    line += ch;
  }
  if (line) lines.push(line);
  return lines;
}
