import type { Header } from '../model/exchange.ts';

// Credentials by name: the ones AI providers, gateways and clouds are known to use.
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
  'x-auth-token',
  'helicone-auth',
  'cf-aig-authorization',
  'x-portkey-api-key',
  'ocp-apim-subscription-key',
  'x-amz-security-token',
]);
const SECRET_PARAMS = new Set(['key', 'api_key', 'api-key', 'apikey', 'access_token', 'token', 'x-api-key', 'auth', 'sig', 'client_secret']);

/**
 * Names not seen before are secret when one of their words (split at `-`, `_`, `.`, spaces and
 * camelCase) is one of these: `X-Relay-Token`, `accessKey`, `sessionToken`, `db_password`.
 */
const SECRET_WORDS = new Set(['key', 'apikey', 'token', 'secret', 'auth', 'authorization', 'password', 'passwd', 'signature', 'credential', 'credentials', 'session', 'bearer']);

/**
 * Names the rule above must not touch: usage and rate-limit figures, WebSocket handshake nonces,
 * CORS lists and session identifiers that group an agent's turns are not credentials.
 */
const NOT_SECRET = [
  /ratelimit/i, // x-ratelimit-remaining-tokens, anthropic-ratelimit-input-tokens-limit
  /^(max|prompt|completion|total|input|output|cached|reasoning)[-_](completion[-_]|output[-_])?tokens?$/i, // max_tokens, max_output_tokens
  /^sec-websocket-(key|accept)$/i,
  /^access-control-/i,
  /^(www|proxy)-authenticate$/i,
  /(^|[-_])session[-_]?id$/i, // session-id, x-session-id, x-claude-code-session-id
  /^token[-_]?(count|type|usage|limit)s?$/i,
];

function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[-_.\s[\]]+/)
    .filter(Boolean);
}

function decideSecretName(name: string): boolean {
  const lower = name.toLowerCase().replace(/\[\]$/, '');
  if (SECRET_PARAMS.has(lower) || SECRET_HEADERS.has(lower)) return true;
  if (NOT_SECRET.some((rule) => rule.test(lower))) return false;
  return wordsOf(name).some((word) => SECRET_WORDS.has(word));
}

// Every header of every request is asked about: the same few names, decided once each (bounded).
const decided = new Map<string, boolean>();
const MAX_DECIDED = 4096;

/** Whether a header, query parameter or JSON member of this name holds a credential. */
export function isSecretName(name: string): boolean {
  let secret = decided.get(name);
  if (secret === undefined) {
    secret = decideSecretName(name);
    if (decided.size >= MAX_DECIDED) decided.clear();
    decided.set(name, secret);
  }
  return secret;
}

const KEPT_TAIL = 4;
// Shorter secrets are hidden whole: four characters of an eight-character secret is half of it.
const MIN_LENGTH_TO_SHOW_TAIL = 12;

/** Hides a secret, keeping its last 4 characters so two keys can be told apart. */
export function maskSecret(secret: string): string {
  // Already masked (a HAR exported by wirelog, imported again): kept, tail and all.
  if (/^\*{4}[^*]{0,4}$/.test(secret)) return secret;
  if (secret.length < MIN_LENGTH_TO_SHOW_TAIL) return '****';
  return `****${secret.slice(-KEPT_TAIL)}`;
}

/** A cookie's value, whether or not it has a name (`Cookie: <token>` is a value alone). */
function maskCookiePair(pair: string): string {
  const eq = pair.indexOf('=');
  const lead = pair.match(/^\s*/)![0];
  return eq < 0 ? `${lead}${maskSecret(pair.trim())}` : `${pair.slice(0, eq + 1)}${maskSecret(pair.slice(eq + 1).trim())}`;
}

/** Basic credentials show the user name only: any tail of the base64 would give away the password's end. */
function maskBasic(encoded: string): string {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 && /^[\x20-\x7e]+$/.test(decoded.slice(0, colon)) ? `${decoded.slice(0, colon)}:****` : '****';
}

function maskHeaderValue(name: string, value: string): string {
  if (name === 'cookie') return value.split(';').map(maskCookiePair).join(';');
  if (name === 'set-cookie') {
    const semi = value.indexOf(';');
    return `${maskCookiePair(semi < 0 ? value : value.slice(0, semi))}${semi < 0 ? '' : value.slice(semi)}`;
  }
  // Keep the scheme ("Bearer", "Basic") visible: it tells which kind of credential was sent.
  const scheme = /^([A-Za-z][\w-]*) +(\S.*)$/.exec(value);
  if (scheme && (/authorization/.test(name) || /^(bearer|basic|token)$/i.test(scheme[1]))) {
    return `${scheme[1]} ${scheme[1].toLowerCase() === 'basic' ? maskBasic(scheme[2]) : maskSecret(scheme[2])}`;
  }
  return maskSecret(value);
}

export function maskHeaders(headers: Header[]): Header[] {
  return headers.map(([name, value]) => (isSecretName(name) ? [name, maskHeaderValue(name.toLowerCase(), value)] : [name, value]));
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** One `name=value` of a query or path parameter list, its value masked when the name is secret. */
function maskParam(part: string): string {
  const eq = part.indexOf('=');
  if (eq < 0 || !isSecretName(decoded(part.slice(0, eq)))) return part;
  return `${part.slice(0, eq + 1)}${encodeURIComponent(maskSecret(decoded(part.slice(eq + 1))))}`;
}

/**
 * Masks secrets in a path: query parameters (`?key=AIza...`, `&token[]=...`), matrix
 * parameters (`/v1;key=...`) and user info of an absolute URL (`https://user:pass@host/`),
 * leaving the rest byte for byte.
 */
export function maskPath(pathAndQuery: string): string {
  const userInfo = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i.exec(pathAndQuery);
  let text = pathAndQuery;
  if (userInfo) {
    const colon = userInfo[2].indexOf(':');
    const user = colon < 0 ? '****' : `${userInfo[2].slice(0, colon)}:****`;
    text = `${userInfo[1]}${user}@${text.slice(userInfo[0].length)}`;
  }
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  const maskedPath = path.includes(';') ? path.split('/').map((segment) => segment.split(';').map((p, i) => (i === 0 ? p : maskParam(p))).join(';')).join('/') : path;
  if (q < 0) return maskedPath;
  return `${maskedPath}?${text.slice(q + 1).split('&').map(maskParam).join('&')}`;
}

// A cheap look before a parse: a member whose name has a secret word, holding a string, object or array.
const JSON_SECRET_HINT = /"[\w.-]*(key|token|secret|auth|password|passwd|signature|credential|session|sig)[\w.-]*"\s*:\s*["{[]/i;

/** Whether JSON text may hold a member maskJsonText would mask (false: it certainly does not). */
export function mayHoldJsonSecret(text: string): boolean {
  return JSON_SECRET_HINT.test(text);
}

/**
 * Masks the string values of JSON members with secret names (`"api_key": "..."`, and every
 * string inside `"client_secret": {...}`), keeping the rest of the text byte for byte.
 * Returns null when the text is not JSON or holds no secret.
 */
export function maskJsonText(text: string): string | null {
  const first = text.trimStart()[0];
  if ((first !== '{' && first !== '[') || !mayHoldJsonSecret(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const found = secretStrings(value);
  if (found.size === 0) return null;
  let masked = text;
  for (const secret of found) masked = masked.split(JSON.stringify(secret)).join(JSON.stringify(maskSecret(secret)));
  // A secret written with escapes of its own is not found as text: then the whole document is rewritten.
  const left = secretStrings(JSON.parse(masked));
  if ([...left].some((s) => found.has(s))) return JSON.stringify(maskedValue(value, false));
  return masked;
}

function secretStrings(node: unknown, secret = false, found = new Set<string>()): Set<string> {
  if (typeof node === 'string') {
    if (secret && node.length > 0) found.add(node);
  } else if (Array.isArray(node)) {
    for (const item of node) secretStrings(item, secret, found);
  } else if (node && typeof node === 'object') {
    for (const [name, child] of Object.entries(node)) secretStrings(child, secret || isSecretName(name), found);
  }
  return found;
}

function maskedValue(node: unknown, secret: boolean): unknown {
  if (typeof node === 'string') return secret ? maskSecret(node) : node;
  if (Array.isArray(node)) return node.map((item) => maskedValue(item, secret));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([name, child]) => [name, maskedValue(child, secret || isSecretName(name))]));
  return node;
}
