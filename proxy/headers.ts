import type { Header } from '../model/exchange.ts';

/** Node's rawHeaders ([k, v, k, v, ...]) as pairs, case and order kept. */
export function headerPairs(rawHeaders: string[]): Header[] {
  const pairs: Header[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i], rawHeaders[i + 1]]);
  return pairs;
}

// Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection and are not forwarded.
// Trailer only announces the trailer fields (which are forwarded, when the next hop's framing
// can carry them); Node refuses to send it on a message it does not chunk.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * Headers to forward to the next hop, flattened the way Node's http APIs accept raw headers.
 * Transfer-Encoding and Content-Length stay: Node frames the body to match them.
 * With keepUpgrade, Connection/Upgrade are kept for a WebSocket handshake.
 */
export function forwardableHeaders(headers: Header[], keepUpgrade = false, drop?: ReadonlySet<string>): string[] {
  // Built only when a Connection field names a field that is not hop-by-hop anyway: every
  // request and response passes here, and most say "keep-alive" alone.
  let listedInConnection: Set<string> | null = null;
  for (const [name, value] of headers) {
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    for (const token of value.split(',')) {
      const lower = token.trim().toLowerCase();
      if (!HOP_BY_HOP.has(lower)) (listedInConnection ??= new Set()).add(lower);
    }
  }
  const flat: string[] = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (keepUpgrade && (lower === 'connection' || lower === 'upgrade')) {
      flat.push(name, value);
      continue;
    }
    if (HOP_BY_HOP.has(lower) || listedInConnection?.has(lower) || drop?.has(lower)) continue;
    flat.push(name, value);
  }
  return flat;
}

// A response's framing is the client's connection's, not the upstream's: Node chunks a body of
// unknown length for an HTTP/1.1 client and ends it by closing for an HTTP/1.0 one. The
// upstream's Transfer-Encoding, relayed, told an HTTP/1.0 client to read chunks it was not sent.
const FRAMING: ReadonlySet<string> = new Set(['transfer-encoding']);

/** The upstream response's headers to send on to the client, framed by Node for the client's HTTP version. */
export function responseHeadersFor(headers: Header[]): string[] {
  return forwardableHeaders(headers, false, FRAMING);
}

/**
 * Sends trailer fields with the end of a message; Node writes them only where it chunks the
 * body (not to an HTTP/1.0 client, not after a sized body). Fields Node refuses (invalid
 * characters) are left out rather than fail the message.
 */
export function addTrailers(message: { addTrailers(headers: Header[]): void }, trailers: Header[] | null): void {
  if (!trailers) return;
  try {
    message.addTrailers(trailers);
  } catch {
    // The body itself is whole; only its trailer fields are lost.
  }
}

/** Trailer fields that came after a chunked body, to send on after the body relayed (none: null). */
export function trailersOf(message: { rawTrailers?: string[] }): Header[] | null {
  return message.rawTrailers && message.rawTrailers.length > 0 ? headerPairs(message.rawTrailers) : null;
}
