import type { Header } from '../model/exchange.ts';

/** Node's rawHeaders ([k, v, k, v, ...]) as pairs, case and order kept. */
export function headerPairs(rawHeaders: string[]): Header[] {
  const pairs: Header[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i], rawHeaders[i + 1]]);
  return pairs;
}

// Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection and are not forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'upgrade']);

/**
 * Headers to forward to the next hop, flattened the way Node's http APIs accept raw headers.
 * Transfer-Encoding and Content-Length stay: Node frames the body to match them.
 * With keepUpgrade, Connection/Upgrade are kept for a WebSocket handshake.
 */
export function forwardableHeaders(headers: Header[], keepUpgrade = false): string[] {
  const listedInConnection = new Set<string>();
  for (const [name, value] of headers) {
    if (name.toLowerCase() === 'connection') {
      for (const token of value.split(',')) listedInConnection.add(token.trim().toLowerCase());
    }
  }
  const flat: string[] = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    const upgradeHeader = lower === 'connection' || lower === 'upgrade';
    if (keepUpgrade && upgradeHeader) {
      flat.push(name, value);
      continue;
    }
    if (HOP_BY_HOP.has(lower) || listedInConnection.has(lower)) continue;
    flat.push(name, value);
  }
  return flat;
}
