// Every value of a stored row, read as what wirelog wrote or else as a fallback, with the damage
// said: a row from a damaged file, an older or newer writer or a disk error must never make a read
// throw (one unreadable row used to answer 500 to the list, the detail and the export alike).
import {
  EXCHANGE_STATES,
  type Exchange,
  type ExchangeState,
  type Header,
  type SecretFingerprint,
  type SseEvent,
  type Timings,
} from '../model/exchange.ts';
import type { Usage } from '../model/token-usage.ts';

/** One column of one row that did not hold what wirelog writes there, and what was read instead. */
export interface ColumnDamage {
  column: string;
  why: string;
}

/** As the exchange's `damaged` notes say it: `column request_headers could not be read: not JSON (…); read as none`. */
export function damageNote(damage: ColumnDamage): string {
  return `column ${damage.column} could not be read: ${damage.why}`;
}

/**
 * Why a damaged exchange is not compared, copied as code or replayed (`what`: "compared"…), or
 * null when it is whole: what was read in its damaged columns is not what was sent.
 */
export function damagedRefusal(exchange: Exchange, what: string): string | null {
  if (!exchange.damaged) return null;
  const more = exchange.damaged.length > 1 ? `, and ${exchange.damaged.length - 1} more` : '';
  return `exchange #${exchange.id} is damaged in the database (${exchange.damaged[0]}${more}): it cannot be ${what}; open it to see what could be read`;
}

/** A value as a sentence names it, short whatever it holds. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (Buffer.isBuffer(value)) return `a blob of ${value.length} byte(s)`;
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${String(value)}`;
  if (typeof value === 'string')
    return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value;
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Reads a JSON value into its shape: the value as typed, or a reason it has none (it is then the fallback). */
export type Shape<T> = (value: unknown, problems: string[]) => T | { wrong: string };

const isWrong = (v: unknown): v is { wrong: string } =>
  typeof v === 'object' && v !== null && 'wrong' in v && Object.keys(v).length === 1;

/** The columns of one row, each read defensively; what was damaged is in `damage`. */
export class RowReading {
  readonly damage: ColumnDamage[] = [];

  constructor(private readonly row: Record<string, unknown>) {}

  private damaged<T>(column: string, why: string, fallback: T): T {
    this.damage.push({ column, why });
    return fallback;
  }

  text(column: string, fallback = ''): string {
    const value = this.row[column];
    return typeof value === 'string'
      ? value
      : this.damaged(column, `holds ${describeValue(value)}, not text; read as ${JSON.stringify(fallback)}`, fallback);
  }

  textOrNull(column: string): string | null {
    const value = this.row[column];
    if (value === null || value === undefined || typeof value === 'string') return value ?? null;
    return this.damaged(column, `holds ${describeValue(value)}, not text; read as none`, null);
  }

  number(column: string, fallback = 0): number {
    const value = this.row[column];
    return typeof value === 'number' && Number.isFinite(value)
      ? value
      : this.damaged(column, `holds ${describeValue(value)}, not a number; read as ${fallback}`, fallback);
  }

  numberOrNull(column: string): number | null {
    const value = this.row[column];
    if (value === null || value === undefined) return null;
    return typeof value === 'number' && Number.isFinite(value)
      ? value
      : this.damaged(column, `holds ${describeValue(value)}, not a number; read as none`, null);
  }

  oneOf<T extends string>(column: string, values: readonly T[], fallback: T): T {
    const value = this.row[column];
    return values.includes(value as T)
      ? (value as T)
      : this.damaged(
          column,
          `holds ${describeValue(value)}, not one of ${values.join(', ')}; read as ${fallback}`,
          fallback,
        );
  }

  oneOfOrNull<T extends string>(column: string, values: readonly T[]): T | null {
    const value = this.row[column];
    if (value === null || value === undefined) return null;
    return values.includes(value as T)
      ? (value as T)
      : this.damaged(column, `holds ${describeValue(value)}, not one of ${values.join(', ')}; read as none`, null);
  }

  /** A JSON column: NULL reads as `absent` where the column may be NULL, as damage where it may not. */
  json<T>(column: string, shape: Shape<T>, fallback: T, what: string, nullable = false): T {
    const value = this.row[column];
    if ((value === null || value === undefined) && nullable) return fallback;
    if (typeof value !== 'string')
      return this.damaged(column, `holds ${describeValue(value)}, not JSON text; read as ${what}`, fallback);
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      return this.damaged(column, `not JSON (${(err as Error).message.slice(0, 120)}); read as ${what}`, fallback);
    }
    const problems: string[] = [];
    const read = shape(parsed, problems);
    if (isWrong(read)) return this.damaged(column, `${read.wrong}; read as ${what}`, fallback);
    if (problems.length) this.damage.push({ column, why: problems.join('; ') });
    return read;
  }
}

/** `[[name, value], …]`: pairs that are not two texts are left out, and counted. */
export const headerPairs: Shape<Header[]> = (value, problems) => {
  if (!Array.isArray(value)) return { wrong: `JSON ${jsonKind(value)}, not an array of [name, value] pairs` };
  const pairs = value.filter(
    (p): p is Header => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string',
  );
  if (pairs.length < value.length)
    problems.push(
      `${value.length - pairs.length} of ${value.length} entries are not [name, value] pairs of text, left out`,
    );
  return pairs;
};

/** An object of finite numbers under the names given: other members are left out, and counted. */
function figures<T extends object>(names: readonly string[], what: string): Shape<T> {
  return (value, problems) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { wrong: `JSON ${jsonKind(value)}, not an object of ${what}` };
    const out: Record<string, number> = {};
    let bad = 0;
    for (const [key, figure] of Object.entries(value)) {
      if (names.includes(key) && typeof figure === 'number' && Number.isFinite(figure)) out[key] = figure;
      else bad++;
    }
    if (bad) problems.push(`${bad} member(s) are not ${what}, left out`);
    return out as T;
  };
}

const TIMING_NAMES: readonly (keyof Timings)[] = [
  'connected',
  'secured',
  'requestSent',
  'retried',
  'responseHeaders',
  'firstByte',
  'end',
];
const USAGE_NAMES: readonly (keyof Usage)[] = [
  'input',
  'output',
  'cacheRead',
  'cacheCreation',
  'reasoning',
  'total',
  'cost',
];

export const timingsShape = figures<Timings>(TIMING_NAMES, 'timings in milliseconds');
export const usageShape = figures<Usage>(USAGE_NAMES, 'usage figures');

/** `[{name, fingerprint}, …]`: entries that are not two texts are left out, and counted. */
export const fingerprints: Shape<SecretFingerprint[]> = (value, problems) => {
  if (!Array.isArray(value)) return { wrong: `JSON ${jsonKind(value)}, not an array of fingerprints` };
  const kept = value
    .filter(
      (s): s is SecretFingerprint =>
        s !== null && typeof s === 'object' && typeof s.name === 'string' && typeof s.fingerprint === 'string',
    )
    .map((s) => ({ name: s.name, fingerprint: s.fingerprint }));
  if (kept.length < value.length)
    problems.push(
      `${value.length - kept.length} of ${value.length} fingerprints are not {name, fingerprint} texts, left out`,
    );
  return kept;
};

export const STATES: readonly ExchangeState[] = EXCHANGE_STATES;
export const SCHEMES = ['http', 'https', 'ws', 'wss'] as const;
export const STREAM_KINDS = ['sse', 'websocket'] as const;
export const SEVERITIES = ['error', 'warning', 'info'] as const;

/** Bytes of a BLOB column: text is read as its UTF-8 bytes, anything else as none (both said). */
export function storedBytes(value: unknown, column: string, damage: ColumnDamage[]): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') {
    damage.push({ column, why: `holds ${describeValue(value)}, not bytes; read as its UTF-8 bytes` });
    return Buffer.from(value, 'utf8');
  }
  damage.push({ column, why: `holds ${describeValue(value)}, not bytes; read as none` });
  return Buffer.alloc(0);
}

/** An `sse_events` row (its data read as text already) as the event it holds; damage is left in `r.damage`. */
export function sseEventOf(r: RowReading): SseEvent {
  return {
    seq: r.number('seq'),
    offsetMs: r.number('offset_ms'),
    event: r.textOrNull('event'),
    id: r.textOrNull('event_id'),
    data: r.text('data'),
  };
}
