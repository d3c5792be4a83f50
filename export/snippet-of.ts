// Feeds a stored exchange, as the HAR entry wirelog writes for it, to export/snippets.ts.
import type { ExchangeReader } from '../db/reader.ts';
import { harEntry, harSource } from './har.ts';
import { snippet, type HarRequest, type SnippetTarget } from './snippets.ts';
import type { Exchange } from '../model/exchange.ts';

export function snippetOf(reader: ExchangeReader, exchange: Exchange, target: SnippetTarget): string {
  const source = harSource(reader, exchange);
  const request = harEntry(source).request as HarRequest;
  const view = source.requestBody;
  const body = view.text !== null ? Buffer.from(view.text) : Buffer.from(view.base64 ?? '', 'base64');
  return snippet({ exchange, request, body, dialect: exchange.call?.dialect ?? null }, target);
}
