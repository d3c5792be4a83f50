import { UsageError } from './usage-error.ts';
import { t } from './language.ts';
import { gatewayAuthority } from '../proxy/gateway.ts';

export { gatewayBase } from '../proxy/gateway.ts';

/** A gateway URL's path: an optional `/t/TOKEN`, the upstream's scheme and host[:port], then the rest. */
const GATEWAY_FORM = /^\/(t\/[^/]+\/)?(https?)\/([^/?#]+)([\s\S]*)$/i;

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A URL's fragment as written: an empty one (Cherry Studio's "use as typed" `#`) is kept, where URL drops it. */
function hashOf(url: URL, written: string): string {
  return url.hash || (written.trim().endsWith('#') ? '#' : '');
}

/**
 * The upstream a wirelog gateway URL names (`http://127.0.0.1:8899/https/x666.me/v1` ->
 * `https://x666.me/v1`, nested ones unwrapped too); null when the URL is not one. A base URL
 * already set to the gateway (the README's first way) is then captured once, not sent to
 * wirelog through wirelog (a loop it refuses with 508).
 */
export function upstreamOfGateway(value: string): string | null {
  let current = value;
  let unwrapped = false;
  for (let depth = 0; depth < 8; depth++) {
    let url: URL;
    try {
      url = new URL(current);
    } catch {
      break;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') break;
    const m = GATEWAY_FORM.exec(`${url.pathname}${url.search}${hashOf(url, current)}`);
    // On loopback the path alone says it; beyond loopback only the token's form does.
    if (!m || !(isLoopbackHost(url.hostname) || m[1])) break;
    const authority = gatewayAuthority(m[3]);
    if (!authority) break;
    const port = authority.rawPort === undefined ? '' : `:${authority.rawPort}`;
    current = `${m[2].toLowerCase()}://${authority.host}${port}${m[4]}`;
    unwrapped = true;
  }
  return unwrapped ? current : null;
}

/** A client's base URL in the gateway form: https://openrouter.ai/api/v1 -> BASE/https/openrouter.ai/api/v1. */
export function gatewayUrl(baseUrl: string, base: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(t('commands.url.notAUrl', { value: baseUrl }));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(t('commands.url.scheme', { scheme: url.protocol.replace(':', '') }));
  if (url.username || url.password) throw new UsageError(t('commands.url.credentials'));
  const path = url.pathname === '/' && !baseUrl.endsWith('/') ? '' : url.pathname;
  return `${base}/${url.protocol.replace(':', '')}/${url.host}${path}${url.search}${hashOf(url, baseUrl)}`;
}

/** Endpoints a client appends to its base URL itself; `/v1/messages` is Anthropic's (its base URL ends before `/v1`). */
const ENDPOINT = /(\/v1\/messages|\/chat\/completions|\/responses|\/completions|\/embeddings|\/messages)\/?$/i;

/**
 * What is wrong with an address given as a base URL, with the base URL it probably meant: a
 * version segment twice (`/v1/v1`, a 404 at every relay), or an endpoint at its end, which
 * clients append again (Codex's `/chat/completions/responses`). An address ending in `#` is
 * Cherry Studio's, used as typed: nothing to say.
 */
export function baseUrlMistake(
  value: string,
): { kind: 'repeated' | 'endpoint'; segment: string; fixed: string } | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (value.trim().endsWith('#') || url.hash) return null;
  const repeated = /(\/v\d+(?:beta\d*|alpha\d*)?)\1(?=\/|$)/i.exec(url.pathname);
  let path = repeated ? url.pathname.replace(repeated[0], repeated[1]) : url.pathname;
  const endpoint = ENDPOINT.exec(path);
  if (!repeated && !endpoint) return null;
  if (endpoint) path = path.slice(0, endpoint.index) || '/';
  const fixed = new URL(url.href);
  fixed.pathname = path;
  return repeated
    ? { kind: 'repeated', segment: repeated[1], fixed: fixed.href.replace(/\/$/, '') }
    : { kind: 'endpoint', segment: endpoint![1], fixed: fixed.href.replace(/\/$/, '') };
}
