import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { Target } from './forward-types.ts';

/**
 * Gateway requests name their upstream in the path, for clients configured only by a base URL:
 * `http://127.0.0.1:8899/https/openrouter.ai/api/v1/chat/completions` goes to
 * `https://openrouter.ai/api/v1/chat/completions`. Beyond loopback the path starts with a
 * token: `/t/TOKEN/https/...`.
 */
export interface GatewayRoute {
  target: Target;
  path: string;
}

/** Where gateway URLs start for a proxy on host:port: http://127.0.0.1:8899, with /t/TOKEN beyond loopback. */
export function gatewayBase(host: string, port: number, token: string | null): string {
  const name = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${name}:${port}${token ? `/t/${token}` : ''}`;
}

export type GatewayRefusal = { status: number; reason: string };

const GATEWAY_PATH = /^\/(?:t\/([^/]+)\/)?(https?)\/([^/?#]+)(\/[^#]*|\?[^#]*)?$/i;
// The upstream's host[:port] segment once percent-decoded: pip and other clients encode its `:`
// (`/https/localhost%3A8443/...`), some its brackets too.
const AUTHORITY = /^(\[[^\]/]+\]|[^/?#:[\]%@\s\\]+)(?::(\d{1,5}))?$/;

/** The host and port a gateway path names, decoded; null when the segment is not host[:port]. */
export function gatewayAuthority(segment: string): { host: string; rawPort: string | undefined } | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return null;
  }
  const m = AUTHORITY.exec(decoded);
  return m ? { host: m[1], rawPort: m[2] } : null;
}

/** Whether the path is in the gateway form at all (then it is served or refused as a gateway request). */
export function isGatewayPath(url: string | undefined): boolean {
  return /^\/(t\/[^/]+\/)?https?\//i.test(url ?? '');
}

/** The Host a client sent, as host and port (80 when it names none); null when it is not one. */
export function parseHostHeader(value: string | undefined): { host: string; port: number } | null {
  const m = /^(?:\[([0-9a-fA-F:.]{2,45})\]|([\w.-]{1,253}))(?::(\d{1,5}))?$/.exec(value ?? '');
  if (!m) return null;
  const port = m[3] ? Number(m[3]) : 80;
  return port > 0 && port < 65536 ? { host: m[1] ?? m[2] ?? '', port } : null;
}

function loopbackHostHeader(host: string | undefined, port: number): boolean {
  const sent = parseHostHeader(host);
  if (!sent || sent.port !== port) return false;
  const name = sent.host.toLowerCase();
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function sameToken(sent: string | undefined, token: string): boolean {
  const a = Buffer.from(sent ?? '');
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The upstream of a gateway request, or why it is refused: on loopback its Host must be this
 * proxy's loopback name and port (a page reached by DNS rebinding cannot use it to read other
 * hosts); beyond loopback, where such clients cannot send Proxy-Authorization, the path carries
 * the token printed at start.
 */
export function gatewayRoute(
  req: http.IncomingMessage,
  proxyPort: number,
  token: string | null,
  clientAddress: string,
): GatewayRoute | GatewayRefusal {
  const m = GATEWAY_PATH.exec(req.url ?? '');
  if (!m)
    return { status: 400, reason: 'a gateway URL is http://127.0.0.1:PORT/https/HOST[:PORT]/PATH (see `wirelog url`)' };
  const [, sentToken, scheme, segment, rest] = m;
  const authority = gatewayAuthority(segment);
  if (!authority)
    return { status: 400, reason: `"${segment}" in the gateway URL is not HOST or HOST:PORT (see \`wirelog url\`)` };
  const { host: rawHost, rawPort } = authority;
  if (token === null) {
    if (!loopbackHostHeader(req.headers.host, proxyPort))
      return {
        status: 403,
        reason: `gateway requests must be sent to this machine's loopback address (Host ${req.headers.host ?? 'missing'} refused)`,
      };
  } else if (!sameToken(sentToken, token)) {
    return {
      status: 403,
      reason:
        'this wirelog listens beyond loopback: gateway URLs need the token printed at start (http://HOST:PORT/t/TOKEN/https/...)',
    };
  }
  const fromBrowser = browserRefusal(req.headers);
  if (fromBrowser) return { status: 403, reason: fromBrowser };
  const secure = scheme.toLowerCase() === 'https';
  const port = rawPort ? Number(rawPort) : secure ? 443 : 80;
  if (port < 1 || port > 65535) return { status: 400, reason: `port ${rawPort} in the gateway URL is not a port` };
  const host = rawHost.replace(/^\[|\]$/g, '');
  const path = !rest ? '/' : rest.startsWith('?') ? `/${rest}` : rest;
  // As the client wrote it (encoded or not): a redirect rewritten into the gateway keeps its form.
  const prefix = `/${sentToken ? `t/${sentToken}/` : ''}${secure ? 'https' : 'http'}/${segment}`;
  return {
    target: {
      scheme: secure ? 'https' : 'http',
      host,
      port,
      clientAddress,
      gateway: { base: `http://${req.headers.host}${prefix}`, prefix },
    },
    path,
  };
}

/**
 * What the gateway adds to every answer it relays. The gateway's origin (http://127.0.0.1:PORT)
 * is shared by every upstream it serves, so a document from one of them must never run with it:
 * `sandbox` gives any document an opaque origin (no same-origin reads through the gateway, no
 * cookies of 127.0.0.1), and nosniff keeps a JSON or text answer from being read as HTML.
 * API clients (fetch, SDKs, curl) ignore both.
 */
export const GATEWAY_SAFETY_HEADERS: readonly string[] = [
  'Content-Security-Policy',
  'sandbox',
  'X-Content-Type-Options',
  'nosniff',
];

/**
 * Response fields that would act on the browser under 127.0.0.1 instead of the upstream's own
 * name: a cookie set there is sent to, and readable by, every service on this machine (cookies
 * are per host, not per port). Dropped; the stored response keeps them, masked.
 */
const BROWSER_STATE_FIELDS = /^(set-cookie2?|clear-site-data)$/i;

/** Request fields the browser attaches for 127.0.0.1 itself, never meant for the upstream. */
export const GATEWAY_DROPPED_REQUEST_FIELDS: ReadonlySet<string> = new Set(['cookie', 'cookie2']);

// What a browser sends to fetch a page, a frame or a worker script: the gateway never serves one.
const DOCUMENT_DESTINATIONS = new Set([
  'document',
  'iframe',
  'frame',
  'fencedframe',
  'embed',
  'object',
  'worker',
  'sharedworker',
  'serviceworker',
]);

/**
 * Why a browser request must not go through the gateway, or null for an API call. A navigation
 * (a link, `location = ...`, a redirect, a form) would put the upstream's page at the gateway's
 * origin; a request from a page already at that origin is one served by the gateway itself.
 * Browser-based API clients send `fetch` requests (Sec-Fetch-Mode cors, Dest empty) from their
 * own origin or `file://`, and pass.
 */
export function browserRefusal(headers: http.IncomingHttpHeaders): string | null {
  const mode = String(headers['sec-fetch-mode'] ?? '').toLowerCase();
  const dest = String(headers['sec-fetch-dest'] ?? '').toLowerCase();
  // Browsers without Fetch Metadata (older Safari) still mark navigations this way.
  const navigation =
    mode === 'navigate' ||
    mode === 'nested-navigate' ||
    DOCUMENT_DESTINATIONS.has(dest) ||
    (headers['upgrade-insecure-requests'] === '1' && !mode);
  if (navigation) {
    return 'the gateway is for API clients (a base URL in Codex, Cherry Studio or an SDK), not for opening pages in a browser: open the upstream site directly, and the wirelog viewer to see what was sent';
  }
  if (String(headers['sec-fetch-site'] ?? '').toLowerCase() === 'same-origin') {
    return "a page served from the gateway's own address may not call it: send API calls from your app (its own origin or file://), not from a page opened through the gateway";
  }
  return null;
}

/**
 * A response's head as the client gets it through the gateway: Location (and Content-Location)
 * pointing at the upstream rewritten to the gateway form, so that a redirect the client follows
 * is captured too; cookies and other browser state for 127.0.0.1 dropped; the safety fields
 * added.
 */
export function gatewayResponseHeaders(flat: string[], target: Target): string[] {
  const gateway = target.gateway;
  if (!gateway) return flat;
  const defaultPort = target.scheme === 'https' ? 443 : 80;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const origins = [
    `${target.scheme}://${host}:${target.port}`,
    ...(target.port === defaultPort ? [`${target.scheme}://${host}`] : []),
  ];
  const out: string[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i];
    let value = flat[i + 1];
    if (BROWSER_STATE_FIELDS.test(name)) continue;
    if (/^(content-)?location$/i.test(name)) {
      // A network-path reference (`//host/path`) takes the scheme of the URL it answers: the
      // upstream's. Left as it was, the client read it against the gateway's http:// and went
      // there in clear, outside the gateway.
      if (value.startsWith('//')) value = `${target.scheme}:${value}`;
      const origin = origins.find(
        (o) =>
          value.toLowerCase() === o.toLowerCase() ||
          value.toLowerCase().startsWith(`${o.toLowerCase()}/`) ||
          value.toLowerCase().startsWith(`${o.toLowerCase()}?`),
      );
      if (origin) value = `${gateway.base}${value.slice(origin.length) || '/'}`;
      else if (value.startsWith('/') && !value.startsWith('//')) value = `${gateway.prefix}${value}`;
    }
    out.push(name, value);
  }
  out.push(...GATEWAY_SAFETY_HEADERS);
  return out;
}
