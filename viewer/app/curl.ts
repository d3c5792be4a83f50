import type { ExchangeDetail } from './api.ts';
import { exchangeUrl } from '../../model/exchange.ts';

// Headers curl sets itself, or that describe the stored (encoded) body rather than the text we send.
const SKIPPED = new Set(['host', 'content-length', 'content-encoding', 'connection', 'transfer-encoding', 'accept-encoding']);

function utf8Base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A cURL command that repeats the request as stored (secrets stay masked unless wirelog keeps
 * them) and sends exactly the stored body: `--data-raw` never reads a file for a leading `@`,
 * single quotes keep `$(…)` and newlines literal, and a body a shell argument cannot hold
 * (binary, or with NUL bytes) comes through standard input from its base64.
 */
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
  const text = requestBody.text;
  if (text !== null && text.length > 0 && !text.includes('\0')) return [...parts, '--data-raw', shellQuote(text)].join(' ');
  const base64 = text !== null && text.length > 0 ? utf8Base64(text) : requestBody.base64;
  if (!base64) return parts.join(' ');
  return `printf %s ${shellQuote(base64)} | base64 -d | ${[...parts, '--data-binary', '@-'].join(' ')}`;
}
