// Feeds stored exchanges, bodies decoded, to model/compare.ts.
import { compareExchanges, type Comparison } from '../model/compare.ts';
import type { Exchange } from '../model/exchange.ts';
import { bodyView } from './body-view.ts';
import type { ExchangeReader } from './reader.ts';

export function comparisonOf(reader: ExchangeReader, a: Exchange, b: Exchange): Comparison {
  const side = (e: Exchange) => ({ exchange: e, requestText: bodyView(reader, e, 'request').text, responseText: bodyView(reader, e, 'response').text });
  return compareExchanges(side(a), side(b));
}

/** The newest model call to the same host that worked (2xx), from any client: what a failing call is compared with. */
export function lastWorkingCall(reader: ExchangeReader, exchange: Exchange): Exchange | null {
  return (
    reader
      .list({ host: exchange.request.host, limit: 500 })
      .find((e) => e.id !== exchange.id && e.call !== null && e.call.dialect !== 'models' && (e.response?.status ?? 0) >= 200 && (e.response?.status ?? 0) < 300 && e.state === 'complete') ?? null
  );
}
