// What a replay sends: the stored request, edited, with the real values of its masked secrets
// put back from memory (or given by the user), and every captured secret the target origin may
// not receive taken out again (replay/secret-guard.ts). Every replay path (the API's replay,
// edit and resend, try this fix, `wirelog replay`) builds its request here, and nowhere else.
// Pure: no sockets, no database.
import type { Exchange, Header } from '../model/exchange.ts';
import { CONNECTION_HEADERS, exchangeUrl } from '../model/exchange.ts';
import type { RememberedSecrets } from '../proxy/secret-memory.ts';
import { ReplayRefused } from './refused.ts';
import { serverText } from '../i18n/stored-text.ts';
import {
  bodySecrets,
  requestSecrets,
  withholdSecrets,
  type CapturedSecret,
  type WithheldSecret,
} from './secret-guard.ts';
import {
  hostPort,
  originOf,
  originText,
  parseConsent,
  secretMayGo,
  urlOrigin,
  type Consent,
  type Origin,
} from './secret-origin.ts';

export { ReplayRefused };

export interface ReplayEdits {
  url?: string;
  method?: string;
  /** The whole header list to send; a value still equal to the stored (masked) one is restored from memory. */
  headers?: Header[];
  /** A new body (the stored one otherwise), as text or base64. */
  body?: string;
  bodyEncoding?: 'utf8' | 'base64';
  /**
   * `HOST[:PORT]`: the user's consent to send the secrets captured for another origin to this
   * replay's target, which it must name exactly. Never lets a secret captured over HTTPS go over HTTP.
   */
  sendSecretsTo?: string;
  /** Not from users: keys a fix took from another exchange (a working call's), with the origin each was captured for. */
  borrowedSecrets?: CapturedSecret[];
}

export interface ReplayRequest {
  method: string;
  url: URL;
  headers: Header[];
  body: Buffer | null;
  /** A WebSocket replay's messages from the client, in the order given. */
  messages: Buffer[];
  /** Captured secrets taken out because the target may not receive them. */
  withheld: WithheldSecret[];
}

// The new connection's own, and a new WebSocket handshake's.
const NOT_REPLAYED = new Set([
  ...CONNECTION_HEADERS,
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-accept',
]);

function targetUrl(exchange: Exchange, url: string | undefined): URL {
  const text = url ?? exchangeUrl(exchange.request);
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new ReplayRefused(serverText('en', 'api.notUrl', { text }));
  }
  const websocket = exchange.streamKind === 'websocket';
  const allowed = websocket ? ['ws:', 'wss:', 'http:', 'https:'] : ['http:', 'https:'];
  if (!allowed.includes(parsed.protocol))
    throw new ReplayRefused(
      serverText('en', 'api.replayScheme', {
        allowed: allowed.join(' or ').replace(/:/g, ''),
        scheme: parsed.protocol.replace(':', ''),
      }),
    );
  return parsed;
}

/**
 * The headers to send: each masked value (equal to what was stored, for a header that had a
 * secret) replaced by its real value from memory; what memory does not have is refused, named.
 * Not restored (`restore` false: the target may not have them), the stored values stay, for the
 * guard to take out.
 */
function restoredHeaders(
  exchange: Exchange,
  headers: Header[],
  remembered: RememberedSecrets | null,
  restore: boolean,
): Header[] {
  const stored = exchange.request.headers;
  const secretNames = new Set((exchange.request.secrets ?? []).map((s) => s.name.toLowerCase()));
  const missing: string[] = [];
  const out = headers
    .filter(([name]) => !NOT_REPLAYED.has(name.toLowerCase()))
    .map(([name, value]): Header => {
      const lower = name.toLowerCase();
      const masked =
        restore && secretNames.has(lower) && stored.some(([n, v]) => n.toLowerCase() === lower && v === value);
      if (!masked) return [name, value];
      const real = remembered?.headers.find(([n]) => n.toLowerCase() === lower);
      if (!real) missing.push(name);
      return [name, real ? real[1] : value];
    });
  if (missing.length) {
    throw new ReplayRefused(
      serverText('en', 'api.replaySecretMissing', { names: missing.join(', '), first: missing[0] }),
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
  if (same)
    throw new ReplayRefused(
      serverText('en', 'api.urlNotInMemory', { names: secretParams.map((s) => s.name).join(', ') }),
      secretParams.map((s) => s.name),
    );
  return url;
}

/** The user's consent to send secrets to the target, checked to name exactly that host and port. */
function consentFor(text: string | undefined, target: Origin): Consent | null {
  if (text === undefined || text.trim() === '') return null;
  const consent = parseConsent(text, target);
  if (!consent) throw new ReplayRefused(serverText('en', 'api.badConsent', { text }));
  if (consent.host !== target.host || consent.port !== target.port) {
    throw new ReplayRefused(
      serverText('en', 'api.replayConsentOther', {
        named: hostPort(consent),
        target: originText(target),
        hostPort: hostPort(target),
      }),
    );
  }
  return consent;
}

/**
 * Every secret the exchange was captured with, as memory holds it and as storage kept it (real
 * with --keep-secrets or from a HAR, masked otherwise: a masked value still shows its last
 * characters), all captured for the exchange's own origin.
 */
function capturedSecrets(
  exchange: Exchange,
  storedBody: Buffer,
  remembered: RememberedSecrets | null,
  messages: Buffer[],
  origin: Origin,
): CapturedSecret[] {
  const { headers, path } = exchange.request;
  const found = requestSecrets(
    { headers, path, body: storedBody, bodyEncoding: exchange.requestBody.encoding },
    origin,
  );
  if (remembered) {
    found.push(...remembered.headers.map(([name, value]) => ({ where: 'header' as const, name, value, origin })));
    found.push(...requestSecrets({ headers: [], path: remembered.path ?? null, body: null, bodyEncoding: '' }, origin));
    if (remembered.body) found.push(...bodySecrets(remembered.body, headers, '', 'body', origin));
  }
  for (const message of messages) found.push(...bodySecrets(message, [], '', 'message', origin));
  return found;
}

/**
 * The request a replay sends. `messages` are a WebSocket replay's client messages, cleaned
 * like the body. The exchange's own secrets are restored only when its origin may receive them
 * (replay/secret-origin.ts); any captured secret the target may not receive is then taken out,
 * and named in `withheld`: the request still goes, without it.
 */
export function buildReplay(
  exchange: Exchange,
  storedBody: Buffer,
  remembered: RememberedSecrets | null,
  edits: ReplayEdits = {},
  messages: Buffer[] = [],
): ReplayRequest {
  const method = (edits.method ?? exchange.request.method).toUpperCase();
  if (!/^[A-Z]+$/.test(method))
    throw new ReplayRefused(serverText('en', 'api.replayNotMethod', { method: String(edits.method) }));
  if (method === 'CONNECT') throw new ReplayRefused(serverText('en', 'api.replayConnect'));
  const target = targetUrl(exchange, edits.url);
  const to = urlOrigin(target);
  const from = originOf(exchange.request.scheme, exchange.request.host, exchange.request.port);
  const consent = consentFor(edits.sendSecretsTo, to);
  // Put back only where they may go: elsewhere a missing key is not asked for, and what stands for it is taken out below.
  const restore = secretMayGo(from, to, consent).send;
  const url = restore ? restoredPath(exchange, target, remembered) : target;
  let headers = restoredHeaders(exchange, edits.headers ?? exchange.request.headers, remembered, restore);
  let body: Buffer | null;
  if (edits.body !== undefined) {
    body = Buffer.from(edits.body, edits.bodyEncoding ?? 'utf8');
    // The editor shows and takes the body decoded: it goes out as identity.
    headers = headers.filter(([name]) => name.toLowerCase() !== 'content-encoding');
  } else {
    if (exchange.requestBody.truncated) {
      throw new ReplayRefused(
        serverText('en', 'api.replayBodyCut', {
          size: exchange.requestBody.size,
          stored: exchange.requestBody.storedSize,
        }),
      );
    }
    body = (restore ? remembered?.body : undefined) ?? storedBody;
  }
  if (body.length === 0 && !['POST', 'PUT', 'PATCH'].includes(method)) body = null;
  const captured = [
    ...(restore ? [] : capturedSecrets(exchange, storedBody, remembered, messages, from)),
    ...(edits.borrowedSecrets ?? []),
  ];
  const guarded = withholdSecrets({ url, headers, body, messages }, captured, to, consent);
  return { method, ...guarded.request, withheld: guarded.withheld };
}
