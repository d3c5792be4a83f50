import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { Target } from './forward.ts';

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

const GATEWAY_PATH = /^\/(?:t\/([^/]+)\/)?(https?)\/(\[[^\]/]+\]|[^/?#:[\]]+)(?::(\d{1,5}))?(\/[^#]*|\?[^#]*)?$/i;

/** Whether the path is in the gateway form at all (then it is served or refused as a gateway request). */
export function isGatewayPath(url: string | undefined): boolean {
  return /^\/(t\/[^/]+\/)?https?\//i.test(url ?? '');
}

function loopbackHostHeader(host: string | undefined, port: number): boolean {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(host ?? '');
  if (!m || Number(m[3] ?? 80) !== port) return false;
  const name = (m[1] ?? m[2]).toLowerCase();
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
export function gatewayRoute(req: http.IncomingMessage, proxyPort: number, token: string | null, clientAddress: string): GatewayRoute | GatewayRefusal {
  const m = GATEWAY_PATH.exec(req.url ?? '');
  if (!m) return { status: 400, reason: 'a gateway URL is http://127.0.0.1:PORT/https/HOST[:PORT]/PATH (see `wirelog url`)' };
  const [, sentToken, scheme, rawHost, rawPort, rest] = m;
  if (token === null) {
    if (!loopbackHostHeader(req.headers.host, proxyPort)) return { status: 403, reason: `gateway requests must be sent to this machine's loopback address (Host ${req.headers.host ?? 'missing'} refused)` };
  } else if (!sameToken(sentToken, token)) {
    return { status: 403, reason: 'this wirelog listens beyond loopback: gateway URLs need the token printed at start (http://HOST:PORT/t/TOKEN/https/...)' };
  }
  const secure = scheme.toLowerCase() === 'https';
  const port = rawPort ? Number(rawPort) : secure ? 443 : 80;
  if (port < 1 || port > 65535) return { status: 400, reason: `port ${rawPort} in the gateway URL is not a port` };
  const host = rawHost.replace(/^\[|\]$/g, '');
  const path = !rest ? '/' : rest.startsWith('?') ? `/${rest}` : rest;
  const prefix = `/${sentToken ? `t/${sentToken}/` : ''}${secure ? 'https' : 'http'}/${rawHost}${rawPort ? `:${rawPort}` : ''}`;
  return { target: { scheme: secure ? 'https' : 'http', host, port, clientAddress, gateway: { base: `http://${req.headers.host}${prefix}`, prefix } }, path };
}

/**
 * A response's Location (and Content-Location) pointing at the upstream, rewritten to the
 * gateway form so that a redirect the client follows is captured too.
 */
export function gatewayResponseHeaders(flat: string[], target: Target): string[] {
  const gateway = target.gateway;
  if (!gateway) return flat;
  const defaultPort = target.scheme === 'https' ? 443 : 80;
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const origins = [`${target.scheme}://${host}:${target.port}`, ...(target.port === defaultPort ? [`${target.scheme}://${host}`] : [])];
  const out = [...flat];
  for (let i = 0; i + 1 < out.length; i += 2) {
    if (!/^(content-)?location$/i.test(out[i])) continue;
    const value = out[i + 1];
    const origin = origins.find((o) => value.toLowerCase() === o.toLowerCase() || value.toLowerCase().startsWith(`${o.toLowerCase()}/`) || value.toLowerCase().startsWith(`${o.toLowerCase()}?`));
    if (origin) out[i + 1] = `${gateway.base}${value.slice(origin.length) || '/'}`;
    else if (value.startsWith('/') && !value.startsWith('//')) out[i + 1] = `${gateway.prefix}${value}`;
  }
  return out;
}
