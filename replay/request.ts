// What a replay sends: the stored request, edited, with the real values of its masked secrets
// put back from memory (or given by the user). Pure: no sockets, no database.
import type { Exchange, Header } from '../model/exchange.ts';
import { CONNECTION_HEADERS, exchangeUrl } from '../model/exchange.ts';
import type { RememberedSecrets } from '../proxy/secret-memory.ts';

export interface ReplayEdits {
  url?: string;
  method?: string;
  /** The whole header list to send; a value still equal to the stored (masked) one is restored from memory. */
  headers?: Header[];
  /** A new body (the stored one otherwise), as text or base64. */
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
}

export interface ReplayRequest {
  method: string;
  url: URL;
  headers: Header[];
  body: Buffer | null;
}

export class ReplayRefused extends Error {
  constructor(
    message: string,
    /** Headers whose real value is needed and not in memory: the user must give them. */
    readonly missingSecrets: string[] = [],
  ) {
    super(message);
  }
}

// The new connection's own, and a new WebSocket handshake's.
const NOT_REPLAYED = new Set([...CONNECTION_HEADERS, 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-accept']);

function targetUrl(exchange: Exchange, url: string | undefined): URL {
  const text = url ?? exchangeUrl(exchange.request);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new ReplayRefused(`"${text}" is not a URL: give an absolute one, such as https://api.example.com/v1/chat/completions`);
  }
  const websocket = exchange.streamKind === 'websocket';
  const allowed = websocket ? ['ws:', 'wss:', 'http:', 'https:'] : ['http:', 'https:'];
  if (!allowed.includes(parsed.protocol)) throw new ReplayRefused(`a replay goes to an ${allowed.join(' or ').replace(/:/g, '')} URL, not ${parsed.protocol.replace(':', '')}`);
  return parsed;
}

/**
 * The headers to send: each masked value (equal to what was stored, for a header that had a
 * secret) replaced by its real value from memory; what memory does not have is refused, named.
 */
function restoredHeaders(exchange: Exchange, headers: Header[], remembered: RememberedSecrets | null): Header[] {
  const stored = exchange.request.headers;
  const secretNames = new Set((exchange.request.secrets ?? []).map((s) => s.name.toLowerCase()));
  const missing: string[] = [];
  const out = headers
    .filter(([name]) => !NOT_REPLAYED.has(name.toLowerCase()))
    .map(([name, value]): Header => {
      const lower = name.toLowerCase();
      const masked = secretNames.has(lower) && stored.some(([n, v]) => n.toLowerCase() === lower && v === value);
      if (!masked) return [name, value];
      const real = remembered?.headers.find(([n]) => n.toLowerCase() === lower);
      if (!real) missing.push(name);
      return [name, real ? real[1] : value];
    });
  if (missing.length) {
    throw new ReplayRefused(
      `the real value of ${missing.join(', ')} is not in memory (wirelog keeps the secrets of recent requests only while it runs): give it for this replay, e.g. --header "${missing[0]}: Bearer YOUR_KEY", or type it in the editor`,
      missing,
    );
  }
  return out;
}

function restoredPath(exchange: Exchange, url: URL, remembered: RememberedSecrets | null): URL {
  const secretParams = (exchange.request.secrets ?? []).filter((s) => s.name.startsWith('?'));
  if (secretParams.length === 0) return url;
  const same = `${url.pathname}${url.search}` === exchange.request.path;
  if (same && remembered?.path) return new URL(remembered.path, url);
  if (same) throw new ReplayRefused(`the real value of ${secretParams.map((s) => s.name).join(', ')} in the URL is not in memory: give the URL with the key in it`, secretParams.map((s) => s.name));
  return url;
}

export function buildReplay(exchange: Exchange, storedBody: Buffer, remembered: RememberedSecrets | null, edits: ReplayEdits = {}): ReplayRequest {
  const method = (edits.method ?? exchange.request.method).toUpperCase();
  if (!/^[A-Z]+$/.test(method)) throw new ReplayRefused(`"${edits.method}" is not an HTTP method: use letters only, such as POST`);
  if (method === 'CONNECT') throw new ReplayRefused('a CONNECT tunnel carries no request of its own to replay: replay the requests that went through it');
  const url = restoredPath(exchange, targetUrl(exchange, edits.url), remembered);
  let headers = restoredHeaders(exchange, edits.headers ?? exchange.request.headers, remembered);
  let body: Buffer | null;
  if (edits.body !== undefined) {
    body = Buffer.from(edits.body, edits.bodyEncoding ?? 'utf8');
    // The editor shows and takes the body decoded: it goes out as identity.
    headers = headers.filter(([name]) => name.toLowerCase() !== 'content-encoding');
  } else {
    if (exchange.requestBody.truncated) {
      throw new ReplayRefused(`the request body was ${exchange.requestBody.size} bytes and only ${exchange.requestBody.storedSize} were stored (--max-body-mb): give the body to send, or raise --max-body-mb and capture it again`);
    }
    body = remembered?.body ?? storedBody;
  }
  if (body.length === 0 && !['POST', 'PUT', 'PATCH'].includes(method)) body = null;
  return { method, url, headers, body };
}
