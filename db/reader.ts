import { statusRange, type BodySide, type Exchange, type ExchangeState, type Header, type SecretFingerprint, type SseEvent, type WsMessage } from '../model/exchange.ts';
import type { Usage } from '../model/usage.ts';
import { LIST_TEXT_LIMITS, clipped, type ExchangeSummary } from '../model/summary.ts';
import { exchangeUrl } from '../model/exchange.ts';
import type Database from 'better-sqlite3';
import type { Db } from './schema.ts';

export interface ExchangeFilter {
  /** Just this exchange. */
  id?: number;
  /** Just these exchanges (a live update's). */
  ids?: number[];
  host?: string;
  method?: string;
  /** An exact status ("404") or a class ("4xx"). */
  status?: string;
  state?: ExchangeState;
  /** Model calls to or from this model. */
  model?: string;
  /** Model calls in this dialect ("openai-chat", "openai-responses", ...). */
  dialect?: string;
  /** The calls of one agent session (a thread key). */
  thread?: string;
  /** Full-text search over URL and decoded text bodies. */
  text?: string;
  /** Only exchanges started at or after this epoch millisecond. */
  since?: number;
  /** Only exchanges with an id below this (the previous page's last id). */
  before?: number;
  /** Oldest first, from the id after this one (an export reads forwards, each row once). */
  after?: number;
  limit?: number;
  /** Largest first by this figure (model calls without it last), instead of newest first. */
  sort?: SortKey;
  /** With sort: rows to skip (the figures are not unique, so pages go by position). */
  offset?: number;
}

/** Filters that are one column equal to the value. */
const EQUALITY_FILTERS: [keyof ExchangeFilter, string][] = [
  ['id', 'id'],
  ['host', 'host'],
  ['method', 'method'],
  ['state', 'state'],
  ['model', 'model'],
  ['dialect', 'dialect'],
  ['thread', 'thread_key'],
];

export const SORT_COLUMNS = { tokens_in: 'input_tokens', tokens_out: 'output_tokens', ttft: 'ttft_ms', duration: "json_extract(timings, '$.end')" } as const;
export type SortKey = keyof typeof SORT_COLUMNS;

interface ExchangeRow {
  id: number;
  uid: string;
  started_at: number;
  client_address: string;
  method: string;
  scheme: string;
  host: string;
  port: number;
  path: string;
  http_version: string;
  via: string | null;
  request_headers: string;
  status: number | null;
  status_text: string | null;
  response_http_version: string | null;
  response_headers: string | null;
  response_trailers: string | null;
  state: string;
  error: string | null;
  timings: string;
  request_size: number;
  request_stored: number;
  request_truncated: number;
  request_encoding: string;
  response_size: number;
  response_stored: number;
  response_truncated: number;
  response_encoding: string;
  stream_kind: string | null;
  event_count: number;
  dialect: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  usage: string | null;
  replay_of: number | null;
  secrets: string | null;
  imported: string | null;
  ttft_ms: number | null;
  diagnosis_severity: 'error' | 'warning' | 'info' | null;
  diagnosis: string | null;
  thread_key: string | null;
  notes: string | null;
}

function toExchange(row: ExchangeRow): Exchange {
  return {
    id: row.id,
    uid: row.uid,
    request: {
      startedAt: row.started_at,
      clientAddress: row.client_address,
      method: row.method,
      scheme: row.scheme as Exchange['request']['scheme'],
      host: row.host,
      port: row.port,
      path: row.path,
      httpVersion: row.http_version,
      headers: JSON.parse(row.request_headers) as Header[],
      ...(row.via === 'gateway' ? { via: 'gateway' as const } : {}),
      ...(row.replay_of !== null ? { replayOf: row.replay_of } : {}),
      ...(row.secrets ? { secrets: JSON.parse(row.secrets) as SecretFingerprint[] } : {}),
      ...(row.imported !== null ? { imported: row.imported } : {}),
    },
    response:
      row.status === null
        ? null
        : {
            status: row.status,
            statusText: row.status_text ?? '',
            httpVersion: row.response_http_version ?? '',
            headers: JSON.parse(row.response_headers ?? '[]') as Header[],
            ...(row.response_trailers ? { trailers: JSON.parse(row.response_trailers) as Header[] } : {}),
          },
    state: row.state as ExchangeState,
    error: row.error,
    timings: JSON.parse(row.timings),
    requestBody: { size: row.request_size, storedSize: row.request_stored, truncated: row.request_truncated === 1, encoding: row.request_encoding },
    responseBody: { size: row.response_size, storedSize: row.response_stored, truncated: row.response_truncated === 1, encoding: row.response_encoding },
    streamKind: row.stream_kind as Exchange['streamKind'],
    eventCount: row.event_count,
    call: row.dialect === null ? null : { dialect: row.dialect, model: row.model, inputTokens: row.input_tokens, outputTokens: row.output_tokens, usage: row.usage ? (JSON.parse(row.usage) as Usage) : {}, ttftMs: row.ttft_ms, threadKey: row.thread_key },
    diagnosis: row.diagnosis_severity === null ? null : { severity: row.diagnosis_severity, summary: row.diagnosis ?? '' },
    ...(row.notes ? { notes: row.notes.split('\n') } : {}),
  };
}

// Usage is a few figures; a value longer than this is not one wirelog wrote, and is not listed.
const LIST_USAGE_BYTES = 2048;
const L = LIST_TEXT_LIMITS;

/**
 * What a list row reads: no head, no body, and each text column at most one character past its
 * display length (substr in SQL: the rest never leaves SQLite), so a row costs the same whatever
 * its fields hold. One character more tells that a text was longer: it is then clipped with '…'.
 */
const SUMMARY_COLUMNS = `id, started_at, substr(method, 1, ${L.method + 1}) AS method, scheme, substr(host, 1, ${L.host + 1}) AS host, port,
  substr(path, 1, ${L.url + 1}) AS path, status, state, substr(error, 1, ${L.error + 1}) AS error, json_extract(timings, '$.end') AS duration,
  request_size, response_size, stream_kind, event_count, substr(dialect, 1, ${L.model + 1}) AS dialect, substr(model, 1, ${L.model + 1}) AS model,
  input_tokens, output_tokens, CASE WHEN octet_length(usage) <= ${LIST_USAGE_BYTES} THEN usage END AS usage, ttft_ms,
  substr(thread_key, 1, ${L.threadKey + 1}) AS thread_key, diagnosis_severity, substr(diagnosis, 1, ${L.diagnosis + 1}) AS diagnosis,
  substr(notes, 1, ${L.notes + 1}) AS notes`;

interface SummaryRow {
  id: number;
  started_at: number;
  method: string;
  scheme: string;
  host: string;
  port: number;
  path: string;
  status: number | null;
  state: string;
  error: string | null;
  duration: number | null;
  request_size: number;
  response_size: number;
  stream_kind: string | null;
  event_count: number;
  dialect: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  usage: string | null;
  ttft_ms: number | null;
  thread_key: string | null;
  diagnosis_severity: 'error' | 'warning' | 'info' | null;
  diagnosis: string | null;
  notes: string | null;
}

const clippedOrNull = (text: string | null, max: number) => (text === null ? null : clipped(text, max));

function usageOf(text: string | null): Usage {
  try {
    return text ? (JSON.parse(text) as Usage) : {};
  } catch {
    return {};
  }
}

function toSummary(row: SummaryRow): ExchangeSummary {
  const url = exchangeUrl({ scheme: row.scheme as Exchange['request']['scheme'], host: row.host, port: row.port, path: row.path });
  return {
    id: row.id,
    startedAt: row.started_at,
    method: clipped(row.method, L.method),
    // The path read is one character past the URL's length: a longer one still ends in '…'.
    url: clipped(url, L.url),
    host: clipped(row.host, L.host),
    status: row.status,
    state: row.state as ExchangeState,
    error: clippedOrNull(row.error, L.error),
    durationMs: row.duration,
    requestSize: row.request_size,
    responseSize: row.response_size,
    streamKind: row.stream_kind as Exchange['streamKind'],
    eventCount: row.event_count,
    call:
      row.dialect === null
        ? null
        : {
            dialect: clipped(row.dialect, L.model),
            model: clippedOrNull(row.model, L.model),
            inputTokens: row.input_tokens,
            outputTokens: row.output_tokens,
            usage: usageOf(row.usage),
            ttftMs: row.ttft_ms,
            threadKey: clippedOrNull(row.thread_key, L.threadKey),
          },
    diagnosis: row.diagnosis_severity === null ? null : { severity: row.diagnosis_severity, summary: clipped(row.diagnosis ?? '', L.diagnosis) },
    notes: clippedOrNull(row.notes, L.notes),
  };
}

/** Quotes each word so user input is searched as text, never parsed as FTS5 syntax. */
export function ftsQuery(text: string): string {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => `"${word.replace(/"/g, '""')}"`)
    .join(' ');
}

export class ExchangeReader {
  /** Prepared once per distinct SQL text: preparing costs more than running these queries. */
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Db) {}

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  list(filter: ExchangeFilter = {}): Exchange[] {
    return (this.rows('*', filter) as ExchangeRow[]).map(toExchange);
  }

  /** List rows (what the viewer's list and its live updates show): bounded in size whatever the exchanges hold. */
  summaries(filter: ExchangeFilter = {}): ExchangeSummary[] {
    return (this.rows(SUMMARY_COLUMNS, filter) as SummaryRow[]).map(toSummary);
  }

  private rows(columns: string, filter: ExchangeFilter): unknown[] {
    const { where, params } = this.conditions(filter);
    const order = filter.sort ? `${SORT_COLUMNS[filter.sort]} IS NULL, ${SORT_COLUMNS[filter.sort]} DESC, id DESC` : filter.after !== undefined ? 'id ASC' : 'id DESC';
    const sql = `SELECT ${columns} FROM exchanges ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT @limit OFFSET @offset`;
    params.limit = filter.limit ?? 100;
    params.offset = filter.sort ? (filter.offset ?? 0) : 0;
    return this.statement(sql).all(params);
  }

  count(filter: Omit<ExchangeFilter, 'limit' | 'before' | 'after'> = {}): number {
    const { where, params } = this.conditions(filter);
    return (this.statement(`SELECT count(*) AS n FROM exchanges ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`).get(params) as { n: number }).n;
  }

  private conditions(filter: ExchangeFilter): { where: string[]; params: Record<string, unknown> } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    for (const [key, column] of EQUALITY_FILTERS) {
      const value = filter[key];
      if (value === undefined || value === '') continue;
      where.push(`${column} = @${key}`);
      params[key] = key === 'method' ? String(value).toUpperCase() : value;
    }
    if (filter.ids !== undefined) {
      where.push('id IN (SELECT value FROM json_each(@ids))');
      params.ids = JSON.stringify(filter.ids);
    }
    const range = filter.status ? statusRange(filter.status) : null;
    if (range) {
      where.push('status >= @statusLow AND status < @statusHigh');
      [params.statusLow, params.statusHigh] = range;
    }
    if (filter.since !== undefined) {
      where.push('started_at >= @since');
      params.since = filter.since;
    }
    if (filter.before !== undefined) {
      where.push('id < @before');
      params.before = filter.before;
    }
    if (filter.after !== undefined) {
      where.push('id > @after');
      params.after = filter.after;
    }
    const query = filter.text ? ftsQuery(filter.text) : '';
    if (query) {
      where.push('id IN (SELECT rowid FROM exchanges_fts WHERE exchanges_fts MATCH @query)');
      params.query = query;
    }
    return { where, params };
  }

  /** The exchange the proxy recorded under this uid (a replay knows its uid before it is sent). */
  byUid(uid: string): Exchange | null {
    const row = this.statement('SELECT * FROM exchanges WHERE uid = ?').get(uid) as ExchangeRow | undefined;
    return row ? toExchange(row) : null;
  }

  /** Ids of the replays of an exchange, oldest first. */
  replaysOf(id: number): number[] {
    return (this.statement('SELECT id FROM exchanges WHERE replay_of = ? ORDER BY id').all(id) as { id: number }[]).map((r) => r.id);
  }

  get(id: number): Exchange | null {
    const row = this.statement('SELECT * FROM exchanges WHERE id = ?').get(id) as ExchangeRow | undefined;
    return row ? toExchange(row) : null;
  }

  /** The stored bytes of a body, still content-encoded as they crossed the wire. */
  body(id: number, side: BodySide): Buffer {
    const rows = this.statement('SELECT data FROM bodies WHERE exchange_id = ? AND side = ? ORDER BY seq').all(id, side) as { data: Buffer }[];
    return Buffer.concat(rows.map((r) => r.data));
  }

  sseEvents(id: number): SseEvent[] {
    const rows = this.statement('SELECT seq, offset_ms, event, event_id, data FROM sse_events WHERE exchange_id = ? ORDER BY seq').all(id) as {
      seq: number;
      offset_ms: number;
      event: string | null;
      event_id: string | null;
      data: string;
    }[];
    return rows.map((r) => ({ seq: r.seq, offsetMs: r.offset_ms, event: r.event, id: r.event_id, data: r.data }));
  }

  wsMessages(id: number): WsMessage[] {
    const rows = this.statement('SELECT seq, offset_ms, direction, opcode, payload FROM ws_messages WHERE exchange_id = ? ORDER BY seq').all(id) as {
      seq: number;
      offset_ms: number;
      direction: WsMessage['direction'];
      opcode: number;
      payload: Buffer;
    }[];
    return rows.map((r) => ({ seq: r.seq, offsetMs: r.offset_ms, direction: r.direction, opcode: r.opcode, payload: r.payload }));
  }
}
