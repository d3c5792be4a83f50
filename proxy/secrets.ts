import type { Header } from '../model/exchange.ts';

const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
]);
const SECRET_QUERY_PARAMS = new Set(['key', 'api_key', 'api-key', 'apikey', 'access_token']);
const KEPT_TAIL = 4;
// Shorter secrets are hidden whole: four characters of an eight-character secret is half of it.
const MIN_LENGTH_TO_SHOW_TAIL = 12;

/** Hides a secret, keeping its last 4 characters so two keys can be told apart. */
export function maskSecret(secret: string): string {
  if (secret.length < MIN_LENGTH_TO_SHOW_TAIL) return '****';
  return `****${secret.slice(-KEPT_TAIL)}`;
}

function maskHeaderValue(name: string, value: string): string {
  if (name === 'cookie') {
    return value
      .split(';')
      .map((pair) => {
        const eq = pair.indexOf('=');
        return eq < 0 ? pair : `${pair.slice(0, eq + 1)}${maskSecret(pair.slice(eq + 1).trim())}`;
      })
      .join(';');
  }
  if (name === 'set-cookie') {
    const semi = value.indexOf(';');
    const pair = semi < 0 ? value : value.slice(0, semi);
    const eq = pair.indexOf('=');
    if (eq < 0) return value;
    return `${pair.slice(0, eq + 1)}${maskSecret(pair.slice(eq + 1))}${semi < 0 ? '' : value.slice(semi)}`;
  }
  // Keep the scheme ("Bearer", "Basic") visible: it tells which kind of credential was sent.
  const scheme = /^([A-Za-z][\w-]*) +(\S.*)$/.exec(value);
  if (scheme && (name === 'authorization' || name === 'proxy-authorization')) {
    return `${scheme[1]} ${maskSecret(scheme[2])}`;
  }
  return maskSecret(value);
}

export function maskHeaders(headers: Header[]): Header[] {
  return headers.map(([name, value]) => {
    const lower = name.toLowerCase();
    return SECRET_HEADERS.has(lower) ? [name, maskHeaderValue(lower, value)] : [name, value];
  });
}

/** Masks secret query parameters in a path ("/v1/models?key=AIza..."), leaving the rest byte for byte. */
export function maskPath(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf('?');
  if (q < 0) return pathAndQuery;
  const query = pathAndQuery
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      let name = part.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      if (!SECRET_QUERY_PARAMS.has(name.toLowerCase())) return part;
      let value = part.slice(eq + 1);
      try {
        value = decodeURIComponent(value);
      } catch {
        // keep the raw value
      }
      return `${part.slice(0, eq + 1)}${encodeURIComponent(maskSecret(value))}`;
    })
    .join('&');
  return `${pathAndQuery.slice(0, q + 1)}${query}`;
}
