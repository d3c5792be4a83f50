import type { ExchangeDetail } from './api.ts';
import { exchangeUrl } from '../../model/exchange.ts';

// Headers curl sets itself, or that describe the stored (encoded) body rather than the text we send.
const SKIPPED = new Set(['host', 'content-length', 'content-encoding', 'connection', 'transfer-encoding', 'accept-encoding']);

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A cURL command that repeats the request as stored (secrets stay masked unless wirelog keeps them). */
export function curlCommand(detail: ExchangeDetail): string {
  const { exchange, requestBody } = detail;
  const req = exchange.request;
  const url = exchangeUrl({ ...req, scheme: req.scheme === 'wss' ? 'https' : req.scheme === 'ws' ? 'http' : req.scheme });
  const parts = ['curl'];
  if (req.method !== 'GET' || requestBody.size > 0) parts.push('-X', req.method);
  parts.push(shellQuote(url));
  for (const [name, value] of req.headers) {
    if (!SKIPPED.has(name.toLowerCase())) parts.push('-H', shellQuote(`${name}: ${value}`));
  }
  if (requestBody.text !== null && requestBody.text.length > 0) parts.push('--data-binary', shellQuote(requestBody.text));
  else if (requestBody.base64) parts.push('--data-binary', '@body.bin', '# the body is binary: decode it with `base64 -d > body.bin`');
  return parts.join(' ');
}
