import type { Exchange, ExchangeState } from './exchange.ts';
import type { CallCost } from '../llm/cost.ts';
import { exchangeUrl } from './exchange.ts';

/** One line of the exchange list: what the viewer's list, `wirelog list` and /api/live show. */
export interface ExchangeSummary {
  id: number;
  startedAt: number;
  method: string;
  url: string;
  host: string;
  status: number | null;
  state: ExchangeState;
  error: string | null;
  durationMs: number | null;
  requestSize: number;
  responseSize: number;
  streamKind: Exchange['streamKind'];
  eventCount: number;
  /** For model calls: dialect, model, tokens in and out, time to first token. */
  call: Exchange['call'];
  diagnosis: Exchange['diagnosis'];
  /** What was cut of its fields to store them (one per line), clipped as the list's other texts are; null: nothing. */
  notes: string | null;
  /** Columns of its row that could not be read (db/stored-values.ts); absent: none. */
  damaged?: string[];
  /** The app that sent it ("Codex 0.171.0"), named when it was stored; absent: stored before wirelog named it, or it said nothing. */
  client?: string;
  /** A model call's cost (the API adds it from the stored figures: llm/summary-cost.ts); absent: not a model call. */
  cost?: CallCost;
}

/**
 * Characters of each text a list row shows at most: a page of rows stays small whatever they
 * hold (db/reader.ts reads no more than this from the database). Past it the text ends in '…'.
 */
export const LIST_TEXT_LIMITS = {
  method: 32,
  url: 1024,
  host: 256,
  error: 300,
  model: 128,
  threadKey: 128,
  diagnosis: 300,
  notes: 300,
  client: 80,
} as const;

/** The text as a list shows it: at most `max` characters, ending in '…' when it was longer. */
export function clipped(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const clippedOrNull = (text: string | null | undefined, max: number) => (text == null ? null : clipped(text, max));

export function summarize(exchange: Exchange): ExchangeSummary {
  return {
    id: exchange.id,
    startedAt: exchange.request.startedAt,
    method: clipped(exchange.request.method, LIST_TEXT_LIMITS.method),
    url: clipped(exchangeUrl(exchange.request), LIST_TEXT_LIMITS.url),
    host: clipped(exchange.request.host, LIST_TEXT_LIMITS.host),
    status: exchange.response?.status ?? null,
    state: exchange.state,
    error: clippedOrNull(exchange.error, LIST_TEXT_LIMITS.error),
    durationMs: exchange.timings.end ?? null,
    requestSize: exchange.requestBody.size,
    responseSize: exchange.responseBody.size,
    streamKind: exchange.streamKind,
    eventCount: exchange.eventCount,
    call: exchange.call && {
      ...exchange.call,
      model: clippedOrNull(exchange.call.model, LIST_TEXT_LIMITS.model),
      threadKey: clippedOrNull(exchange.call.threadKey, LIST_TEXT_LIMITS.threadKey),
    },
    diagnosis: exchange.diagnosis && {
      severity: exchange.diagnosis.severity,
      summary: clipped(exchange.diagnosis.summary, LIST_TEXT_LIMITS.diagnosis),
      ...(exchange.diagnosis.message ? { message: exchange.diagnosis.message } : {}),
    },
    notes: clippedOrNull(exchange.notes?.join('\n'), LIST_TEXT_LIMITS.notes),
    ...(exchange.damaged ? { damaged: exchange.damaged } : {}),
  };
}
