import type { Exchange, ExchangeState } from './exchange.ts';
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
}

export function summarize(exchange: Exchange): ExchangeSummary {
  return {
    id: exchange.id,
    startedAt: exchange.request.startedAt,
    method: exchange.request.method,
    url: exchangeUrl(exchange.request),
    host: exchange.request.host,
    status: exchange.response?.status ?? null,
    state: exchange.state,
    error: exchange.error,
    durationMs: exchange.timings.end ?? null,
    requestSize: exchange.requestBody.size,
    responseSize: exchange.responseBody.size,
    streamKind: exchange.streamKind,
    eventCount: exchange.eventCount,
    call: exchange.call,
    diagnosis: exchange.diagnosis,
  };
}
