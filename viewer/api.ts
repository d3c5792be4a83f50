import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import { stream, streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { bodyView } from '../db/body-view.ts';
import { compareOffThread } from '../db/compare.ts';
import { diagnosesOf, modelCallOf } from '../llm/stored-calls.ts';
import { SORT_COLUMNS, parseSortCursor, sortCursorText, type CutBodies, type DamagedRows, type ExchangeReader, type SearchProgress, type SortKey } from '../db/reader.ts';
import { damagedRefusal } from '../db/stored-values.ts';
import type { StorageLosses } from '../db/writer.ts';
import type { BehindFigures } from '../db/storage-news.ts';
import { writeHar } from '../export/har.ts';
import { EXCHANGE_STATES, statusRange, type Exchange, type ExchangeEvent, type ExchangeState } from '../model/exchange.ts';
import { clientConfigOf, gatewayOfReplayed, type ClientConfig } from '../llm/client-config.ts';
import type { WithheldSecret } from '../replay/secret-guard.ts';
import type { ExchangeDetail, ExchangeListAnswer, ImportAnswer, ImportLine, ReplayAnswer, ReplayRefusedAnswer, StreamEvents } from './contract.ts';
import type { LiveFeed } from './live.ts';
import { fixEdits } from '../replay/fix.ts';
import { ReplayRefused } from '../replay/request.ts';
import { HarImportError } from '../export/har-import.ts';
import { HarStorageError, type ImportProgress, type ImportResult } from '../export/har-stream.ts';
import { SNIPPET_TARGETS, SnippetError } from '../export/snippets.ts';
import { snippetOf } from '../export/snippet-of.ts';
import type { Replayer } from '../replay/replayer.ts';
import { isLanguage, languageOf, type Language } from '../i18n/languages.ts';
import { localized, localizedAll, serverText } from '../i18n/stored-text.ts';
import { renderDiagnosis } from '../llm/diagnosis-text.ts';
import type { ExchangeSummary } from '../model/summary.ts';
import { LIST_TEXT_LIMITS, clipped, summarize } from '../model/summary.ts';
import { summaryCost, withCost } from '../llm/summary-cost.ts';
import { createSessionsApi } from './sessions-api.ts';

/**
 * The language a request asked for: `?lang=zh-CN` (the viewer's own choice), else the first of
 * Accept-Language's that wirelog speaks (a browser's, an EventSource's), else English.
 */
export function requestLanguage(c: Context): Language {
  const param = c.req.query('lang');
  if (param && isLanguage(param)) return param;
  const tags = (c.req.header('accept-language') ?? '')
    .split(',')
    .map((part, i) => {
      const [tag, ...options] = part.trim().split(';');
      const q = Number(/q=([\d.]+)/.exec(options.join(';'))?.[1] ?? 1);
      return { tag, q: Number.isNaN(q) ? 0 : q, i };
    })
    .filter((t) => t.tag && t.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of tags) {
    const language = languageOf(tag);
    if (language) return language;
  }
  return 'en';
}

/** An API refusal in the request's language, from the catalogue (`server.api.*`). */
function refusal(c: Context, key: string, params: Record<string, string | number> = {}): string {
  return serverText(requestLanguage(c), `api.${key}`, params);
}

/** What wirelog stored on an exchange (its error, notes, damage) in the reader's language: rendered when read. */
function exchangeIn(exchange: Exchange, lang: Language): Exchange {
  if (lang === 'en') return exchange;
  return {
    ...exchange,
    error: exchange.error === null ? null : localized(exchange.error, lang),
    ...(exchange.notes ? { notes: localizedAll(exchange.notes, lang) } : {}),
    ...(exchange.damaged ? { damaged: localizedAll(exchange.damaged, lang) } : {}),
  };
}

/** A replay's answer in the reader's language: why each secret it withheld was left out. */
function replayAnswerIn<T extends { withheld: WithheldSecret[] }>(answer: T, lang: Language): T {
  return { ...answer, withheld: answer.withheld.map((w) => ({ ...w, message: localized(w.message, lang) })) };
}

/** What worked, as each client is configured, in the reader's language: the Codex block's notes (the TOML itself is never translated). */
function clientConfigIn(config: ClientConfig | null, lang: Language): ClientConfig | null {
  if (!config) return null;
  return {
    ...config,
    codex: config.codex && { ...config.codex, notes: localizedAll(config.codex.notes, lang) },
    codexNote: config.codexNote === null ? null : localized(config.codexNote, lang),
  };
}

/** A list row in the reader's language: its recorded error and notes, and its diagnosis rendered from its message. */
export function summaryIn(summary: ExchangeSummary, lang: Language): ExchangeSummary {
  if (lang === 'en') return summary;
  const diagnosis = summary.diagnosis?.message ? { ...summary.diagnosis, summary: clipped(renderDiagnosis(summary.diagnosis.message, lang).summary, LIST_TEXT_LIMITS.diagnosis) } : summary.diagnosis;
  return {
    ...summary,
    error: summary.error === null ? null : localized(summary.error, lang),
    notes: summary.notes === null ? null : localizedAll(summary.notes.split('\n'), lang).join('\n'),
    ...(summary.damaged ? { damaged: localizedAll(summary.damaged, lang) } : {}),
    diagnosis,
  };
}

export interface ViewerStatus {
  version: string;
  proxyUrl: string;
  caPath: string;
  caFingerprint: string;
  keepSecrets: boolean;
  /** The oldest exchanges are deleted past these limits. */
  retention: { maxDbMb: number; maxAgeDays: number | null };
  /** The current storage failure, or null while captures are stored. */
  storageError: string | null;
  /** What storage left out to bound memory (while behind or failing), and what a clear discarded. */
  storageLosses: StorageLosses;
  /** How far behind storage is (ended exchanges not stored yet, and the oldest one's wait); null while it keeps up. */
  storageBehind: BehindFigures | null;
  /** While storage fails or recovers: exchanges with something waiting to be stored. */
  storageWaiting: number;
  /** Where gateway URLs start (http://127.0.0.1:8899; /t/TOKEN beyond loopback, the token not shown). */
  gatewayBase: string;
  /** Client connections open now, and the cap past which new ones are refused (--max-connections). */
  connections: { open: number; max: number };
  /** OTLP export: where spans go, the current failure, spans left out; null when off. */
  otlp: { url: string; error: string | null; dropped: number } | null;
  /** Rows the reads so far found damaged (db/stored-values.ts): how many, the first ids; filled in by the API. */
  damagedRows?: DamagedRows;
  /** While storage has cut bodies since start: the exchanges cut (filled in by the API). */
  cutBodies?: CutBodies;
  /** While the search index is being built (an upgrade, a restart after a kill): how far; search finds only what is indexed. */
  searchIndex?: SearchProgress | null;
}

export interface ApiOptions {
  reader: ExchangeReader;
  live: LiveFeed;
  status: () => ViewerStatus;
  /** Deletes every capture (done by the storage worker, off the forwarding thread). */
  clear: () => Promise<void>;
  /** Replays stored exchanges through the proxy; absent where nothing may be sent (tests of the API alone). */
  replayer?: Replayer;
  /**
   * Imports an uploaded HAR off the forwarding thread (cli/viewer-import.ts), reporting progress;
   * throws HarImportError for a bad file, HarStorageError when storing failed.
   */
  importHar?: (upload: ReadableStream<Uint8Array>, name: string, progress: (p: ImportProgress) => void) => Promise<ImportResult>;
}

const filterFields = {
  host: z.string().min(1).optional(),
  method: z.string().regex(/^[A-Za-z]+$/, 'fixMethod').optional(),
  status: z.string().refine((s) => statusRange(s) !== null, 'fixStatus').optional(),
  state: z.enum(EXCHANGE_STATES as [ExchangeState, ...ExchangeState[]]).optional(),
  q: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  dialect: z.string().regex(/^[a-z-]+$/, 'fixDialect').optional(),
  thread: z.string().min(1).max(200).optional(),
};

const listQuery = z.object({
  ...filterFields,
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** Newest first: the last id of the previous page. Sorted by a figure: VALUE_ID of its last row (nextCursor). */
  cursor: z.string().optional(),
  sort: z.enum(Object.keys(SORT_COLUMNS) as [SortKey, ...SortKey[]]).optional(),
}).refine((q) => q.cursor === undefined || (q.sort ? parseSortCursor(q.cursor) !== null : /^\d+$/.test(q.cursor)), { path: ['cursor'], message: 'fixCursor' });

const exportQuery = z.object({
  ...filterFields,
  id: z.coerce.number().int().positive().optional(),
  since: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'fixSince')
    .optional(),
});

const idParam = z.object({ id: z.coerce.number().int().positive() });
const snippetQuery = z.object({ target: z.enum(SNIPPET_TARGETS).default('curl') });
const compareQuery = z.object({
  a: z.coerce.number().int().positive(),
  /** An id, or "working": the newest model call to a's host that worked. */
  b: z.union([z.literal('working'), z.coerce.number().int().positive()]),
});

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const replayBody = z
  .object({
    url: z.string().min(1).max(16_384).optional(),
    method: z.string().regex(/^[A-Za-z]+$/, 'fixMethod').optional(),
    headers: z
      .array(z.tuple([z.string().regex(HEADER_NAME, 'fixHeaderName'), z.string().max(65_536).regex(/^[^\r\n\0]*$/, 'fixHeaderValue')]))
      .max(2000)
      .optional(),
    body: z.string().max(128 * 1024 * 1024).optional(),
    bodyEncoding: z.enum(['utf8', 'base64']).optional(),
    /** Apply the fix the exchange's diagnosis proposes (its `action`). */
    fix: z.boolean().optional(),
    /** HOST[:PORT]: consent to send secrets captured for another origin to this replay's target, which it must name. */
    sendSecretsTo: z.string().min(1).max(300).optional(),
  })
  .strict();
// Rows a live update reads per query.
const LIVE_READ = 500;
const eventsQuery = z.object({ after: z.coerce.number().int().min(-1).default(-1) });

/** A damaged row opens (what could be read, and what not) but is not compared, copied as code or replayed: 422 naming the damage. */
function refuseDamaged(c: Context, exchange: Exchange, what: string) {
  const refused = damagedRefusal(exchange, what);
  return refused === null ? null : c.json({ error: localized(refused, requestLanguage(c)) }, 422);
}

// Schema messages above are keys of the catalogue's `server.request` (fixMethod...), said in the request's language.
const FIX_KEY = /^fix[A-Z]\w*$/;

/** How to write a field the API could not take, in `lang`: the schema's own fix, else one for zod's kind of problem. */
function fixOf(issue: z.ZodIssue, lang: Language): string {
  const say = (key: string, params: Record<string, string | number> = {}) => serverText(lang, `request.${key}`, params);
  if (FIX_KEY.test(issue.message)) return say(issue.message);
  switch (issue.code) {
    case 'invalid_enum_value':
      return say('fixOneOf', { values: issue.options.join(', ') });
    case 'unrecognized_keys':
      return say('fixUnknown');
    case 'invalid_type':
      return issue.expected === 'number' || issue.expected === 'integer' ? say('fixNumber') : say('fixType', { expected: issue.expected, received: issue.received });
    case 'too_small':
      return issue.type === 'string' ? say('fixNotEmpty') : say('fixAtLeast', { min: Number(issue.minimum) });
    case 'too_big':
      return issue.type === 'string' ? say('fixTextAtMost', { max: Number(issue.maximum) }) : say('fixAtMost', { max: Number(issue.maximum) });
    case 'invalid_union':
      return issue.path[0] === 'b' ? say('fixCompareWith') : issue.message;
    default:
      return issue.message;
  }
}

/** A request the API cannot take: 400 naming each field and how to write it, in the request's language. */
function badRequest(result: { success: boolean; error?: z.ZodError }, c: Context) {
  if (!result.success) {
    const lang = requestLanguage(c);
    const message = result
      .error!.issues.map((issue) => {
        const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || serverText(lang, 'request.query');
        return serverText(lang, 'request.badField', { field, fix: fixOf(issue, lang) });
      })
      .join(lang === 'zh-CN' ? '；' : '; ');
    return c.json({ error: message }, 400);
  }
}

/** State changes must come from our own page: a site open in another tab cannot clear captures. */
function sameOrigin(c: Context, ownOrigins: ReadonlySet<string>): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  const origin = c.req.header('origin');
  return origin === undefined ? site === 'same-origin' : ownOrigins.has(origin);
}

export function createApi(options: ApiOptions, ownOrigins: (c: Context) => ReadonlySet<string>): Hono {
  const { reader, live } = options;
  const api = new Hono();
  const statusNow = (): ViewerStatus => {
    const status = options.status();
    const cut = status.storageLosses.bodies > 0 || status.storageLosses.bytes > 0;
    return { ...status, damagedRows: reader.damagedRows(), ...(cut ? { cutBodies: reader.cutBodies() } : {}), searchIndex: reader.searchProgress() };
  };

  api.get('/status', (c) => c.json(statusNow()));

  api.get('/exchanges', zValidator('query', listQuery, badRequest), (c) => {
    const q = c.req.valid('query');
    const filter = { host: q.host, method: q.method, status: q.status, state: q.state, model: q.model, dialect: q.dialect, thread: q.thread, text: q.q, limit: q.limit };
    // List rows only (db/reader.ts summaries): no head or body is read, each text is clipped in SQL.
    let exchanges: ExchangeSummary[];
    let nextCursor: number | string | null;
    if (q.sort) {
      const page = reader.sortedSummaries({ ...filter, sort: q.sort, sortAfter: q.cursor === undefined ? undefined : parseSortCursor(q.cursor)! });
      exchanges = page.summaries;
      nextCursor = page.next && sortCursorText(page.next);
    } else {
      exchanges = reader.summaries({ ...filter, before: Number(q.cursor) || undefined });
      nextCursor = exchanges.length === q.limit ? exchanges[exchanges.length - 1].id : null;
    }
    const lang = requestLanguage(c);
    // The first page says how many match (the count uses the same indexes as the filter: no row is read whole).
    const total = q.cursor === undefined ? reader.count(filter) : undefined;
    return c.json({ exchanges: exchanges.map((summary) => summaryIn(withCost(summary), lang)), nextCursor, ...(total === undefined ? {} : { total }) } satisfies ExchangeListAnswer);
  });

  api.delete('/exchanges', async (c) => {
    if (!sameOrigin(c, ownOrigins(c))) return c.json({ error: refusal(c, 'clearOwnOnly') }, 403);
    await options.clear();
    live.publish({ type: 'cleared' });
    return c.json({ cleared: true });
  });

  api.post('/exchanges/:id/replay', zValidator('param', idParam, badRequest), zValidator('json', replayBody, badRequest), async (c) => {
    if (!sameOrigin(c, ownOrigins(c))) return c.json({ error: refusal(c, 'replayOwnOnly') }, 403);
    const exchange = reader.get(c.req.valid('param').id);
    if (!exchange) return c.json({ error: refusal(c, 'noExchange') }, 404);
    const damaged = refuseDamaged(c, exchange, 'replayed');
    if (damaged) return damaged;
    if (!options.replayer) return c.json({ error: refusal(c, 'noReplays') }, 501);
    const { fix, ...edits } = c.req.valid('json');
    try {
      const lang = requestLanguage(c);
      if (!fix) return c.json(replayAnswerIn(await options.replayer.replay(exchange, edits), lang) satisfies ReplayAnswer);
      const body = bodyView(reader, exchange, 'request');
      const diagnosis = diagnosesOf(reader, exchange, modelCallOf(reader, exchange), bodyView(reader, exchange, 'response').text).find((d) => d.action);
      if (!diagnosis?.action) return c.json({ error: refusal(c, 'noFix', { id: exchange.id }) }, 409);
      const replayer = options.replayer;
      const fixed = fixEdits(exchange, diagnosis.action, edits, { bodyText: body.text, workingKey: (name, target) => replayer.workingKey(target, name) });
      return c.json({ ...replayAnswerIn(await replayer.replay(exchange, fixed), lang), rule: diagnosis.rule, action: diagnosis.action } satisfies ReplayAnswer);
    } catch (err) {
      if (err instanceof ReplayRefused) return c.json({ error: localized(err.message, requestLanguage(c)), missingSecrets: err.missingSecrets } satisfies ReplayRefusedAnswer, 409);
      throw err;
    }
  });

  // The body is the HAR file, of any size. Asked for application/x-ndjson, the answer is a line of
  // progress at a time (ImportLine), then the outcome; else one JSON answer at the end.
  api.post('/import', async (c) => {
    if (!sameOrigin(c, ownOrigins(c))) return c.json({ error: refusal(c, 'importOwnOnly') }, 403);
    const importHar = options.importHar;
    if (!importHar) return c.json({ error: refusal(c, 'noImports') }, 501);
    const upload = c.req.raw.body;
    if (!upload) return c.json({ error: refusal(c, 'noUpload') }, 400);
    const name = (c.req.query('name') ?? 'upload.har').replace(/[^\w.@ -]/g, '_').slice(0, 200) || 'upload.har';
    const lang = requestLanguage(c);
    const answer = (result: ImportResult): ImportAnswer => ({ imported: result.ids.length, ids: result.ids, name, notes: localizedAll(result.notes, lang) });
    const failure = (err: unknown): { error: string; status: 400 | 503 } => {
      if (err instanceof HarImportError) return { error: localized(err.message, lang), status: 400 };
      if (err instanceof HarStorageError) return { error: localized(err.message, lang), status: 503 };
      throw err;
    };
    if (!/application\/x-ndjson/.test(c.req.header('accept') ?? '')) {
      try {
        return c.json(answer(await importHar(upload, name, () => undefined)) satisfies ImportAnswer);
      } catch (err) {
        const { error, status } = failure(err);
        return c.json({ error }, status);
      }
    }
    c.header('content-type', 'application/x-ndjson; charset=utf-8');
    return stream(c, async (out) => {
      const line = (message: ImportLine) => void out.write(`${JSON.stringify(message)}\n`);
      try {
        line({ done: answer(await importHar(upload, name, (progress) => line({ progress }))) });
      } catch (err) {
        line({ error: err instanceof HarImportError || err instanceof HarStorageError ? localized(err.message, lang) : serverText(lang, 'api.importFailed', { name, error: localized((err as Error).message, lang) }) });
      }
    });
  });

  // On a thread of its own (db/compare.ts): reading, decoding and parsing two large bodies here would hold every client's traffic.
  api.get('/compare', zValidator('query', compareQuery, badRequest), async (c) => {
    const q = c.req.valid('query');
    const answer = await compareOffThread(reader, q.a, q.b, requestLanguage(c));
    return c.body(answer.json, answer.status, { 'content-type': 'application/json; charset=utf-8' });
  });

  api.get('/exchanges/:id', zValidator('param', idParam, badRequest), (c) => {
    const exchange = reader.get(c.req.valid('param').id);
    if (!exchange) return c.json({ error: refusal(c, 'noExchange') }, 404);
    const requestBody = bodyView(reader, exchange, 'request');
    const responseBody = bodyView(reader, exchange, 'response');
    // Rebuilt on every read, so an open stream's answer grows as it arrives.
    const modelCall = modelCallOf(reader, exchange, { request: requestBody.text, response: responseBody.text });
    const lang = requestLanguage(c);
    // Priced from the stored figures, as its list row is (the same cost in both places).
    const cost = modelCall ? summaryCost(summarize(exchange)) : null;
    return c.json({
      exchange: exchangeIn(exchange, lang),
      requestBody,
      responseBody,
      modelCall: modelCall && cost ? { ...modelCall, cost } : modelCall,
      // A damaged row is not diagnosed: what was read in place of its damaged columns would mislead.
      diagnoses: exchange.damaged ? [] : diagnosesOf(reader, exchange, modelCall, responseBody.text, lang),
      threadSize: exchange.call?.threadKey ? reader.count({ thread: exchange.call.threadKey }) : 0,
      replays: reader.replaysOf(exchange.id),
      clientConfig: clientConfigIn(clientConfigOf(exchange, modelCall, gatewayOfReplayed(exchange, (id) => reader.get(id))), lang),
      missingSecrets: options.replayer?.missingSecrets(exchange) ?? [],
    } satisfies ExchangeDetail);
  });

  api.get('/exchanges/:id/snippet', zValidator('param', idParam, badRequest), zValidator('query', snippetQuery, badRequest), (c) => {
    const exchange = reader.get(c.req.valid('param').id);
    if (!exchange) return c.json({ error: refusal(c, 'noExchange') }, 404);
    const damaged = refuseDamaged(c, exchange, 'copied as code');
    if (damaged) return damaged;
    try {
      return c.text(snippetOf(reader, exchange, c.req.valid('query').target));
    } catch (err) {
      if (err instanceof SnippetError) return c.json({ error: localized(err.message, requestLanguage(c)) }, 422);
      throw err;
    }
  });

  api.get('/exchanges/:id/events', zValidator('param', idParam, badRequest), zValidator('query', eventsQuery, badRequest), (c) => {
    const exchange = reader.get(c.req.valid('param').id);
    if (!exchange) return c.json({ error: refusal(c, 'noExchange') }, 404);
    const after = c.req.valid('query').after;
    const sse = reader.sseEvents(exchange.id).filter((e) => e.seq > after);
    const ws = reader
      .wsMessages(exchange.id)
      .filter((m) => m.seq > after)
      .map((m) => {
        const payload = Buffer.from(m.payload);
        const text = m.opcode === 1;
        return { seq: m.seq, offsetMs: m.offsetMs, direction: m.direction, opcode: m.opcode, text: text ? payload.toString('utf8') : null, base64: text ? null : payload.toString('base64') };
      });
    return c.json({ kind: exchange.streamKind, state: exchange.state, sseEvents: sse, wsMessages: ws } satisfies StreamEvents);
  });

  api.get('/export.har', zValidator('query', exportQuery, badRequest), (c) => {
    const q = c.req.valid('query');
    c.header('content-type', 'application/json; charset=utf-8');
    c.header('content-disposition', `attachment; filename="${q.id ? `wirelog-${q.id}` : 'wirelog'}.har"`);
    // Damaged rows are left out, and counted in the file's log.comment and log._wirelog (export/har.ts).
    return stream(c, async (out) => {
      await writeHar(
        reader,
        { id: q.id, host: q.host, method: q.method, status: q.status, state: q.state, model: q.model, dialect: q.dialect, thread: q.thread, text: q.q, since: q.since ? Date.parse(q.since) : undefined },
        (text) => out.write(text),
        options.status().version,
      );
    });
  });

  api.get('/live', (c) =>
    streamSSE(c, async (out) => {
      // The browser's language (EventSource sends its Accept-Language), or ?lang=.
      const lang = requestLanguage(c);
      let closed = false;
      const unsubscribe = live.subscribe((message) => {
        if (closed) return;
        if (message.type === 'status') return void out.writeSSE({ event: 'status', data: JSON.stringify(statusNow()) });
        if (message.type === 'cleared' || message.type === 'pruned') return void out.writeSSE({ event: message.type, data: '{}' });
        // List rows, as the list reads them: a whole exchange (its heads) is never read for a live update.
        for (let i = 0; i < message.ids.length; i += LIVE_READ) {
          const ids = message.ids.slice(i, i + LIVE_READ);
          for (const summary of reader.summaries({ ids, limit: ids.length })) void out.writeSSE({ event: 'exchange', id: String(summary.id), data: JSON.stringify(summaryIn(withCost(summary), lang)) });
        }
      });
      await out.writeSSE({ event: 'hello', data: JSON.stringify(statusNow()) });
      const heartbeat = setInterval(() => void out.write(': keep-alive\n\n'), 15000);
      await new Promise<void>((resolve) => out.onAbort(resolve));
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
    }),
  );

  api.route('/sessions', createSessionsApi(reader, requestLanguage, badRequest));

  api.all('*', (c) => c.json({ error: refusal(c, 'noRoute', { method: c.req.method, path: c.req.path }) }, 404));
  return api;
}
