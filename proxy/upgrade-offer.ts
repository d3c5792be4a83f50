import type http from 'node:http';

/**
 * Node hands a request with `Connection: Upgrade` to the 'upgrade' event whatever it offers to
 * upgrade to. Only a WebSocket is relayed as one; any other offer (HTTP/2 over cleartext, sent by
 * Java's HttpClient by default and `curl --http2`) is declined the way servers decline it: the
 * request is answered as HTTP/1.1, which a client offering an upgrade must accept (RFC 9110 7.8).
 */
export function offersWebSocket(req: http.IncomingMessage): boolean {
  return String(req.headers.upgrade ?? '')
    .split(',')
    .some((protocol) => protocol.trim().toLowerCase().split('/')[0] === 'websocket');
}

// The offer's own fields: an HTTP/1.1 request without the upgrade carries neither.
const OFFER_FIELDS = new Set(['upgrade', 'http2-settings']);

/**
 * The request head as it came, less the upgrade offer: its request line, every other field in
 * its order and case, and Connection without the tokens that named the offer. Parsed again, it is
 * the same request, answered as HTTP/1.1.
 */
export function headWithoutUpgradeOffer(req: http.IncomingMessage): Buffer {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const lower = name.toLowerCase();
    if (OFFER_FIELDS.has(lower)) continue;
    if (lower === 'connection') {
      const kept = raw[i + 1]
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t && !OFFER_FIELDS.has(t.toLowerCase()));
      if (kept.length > 0) lines.push(`${name}: ${kept.join(', ')}`);
      continue;
    }
    lines.push(`${name}: ${raw[i + 1]}`);
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}
