import type { Header } from '../model/exchange.ts';

/**
 * Credentials whose names have none of the words below. Every other name providers, gateways and
 * clouds document is caught by its words: `Authorization`, `Proxy-Authorization`, `x-api-key`,
 * `api-key` (Azure OpenAI), `x-goog-api-key` and `?key=` (Gemini), `x-auth-token`,
 * `Helicone-Auth`, `cf-aig-authorization`, `x-portkey-api-key`, `Ocp-Apim-Subscription-Key`,
 * `X-Amz-Security-Token`, `X-Amz-Signature`, `X-Goog-Credential`, `access_token`,
 * `client_secret`, `api_key`, `apikey`, `token`, `auth`. `sig` is an Azure SAS signature.
 */
const SECRET_NAMES = new Set(['cookie', 'set-cookie', 'sig']);

/**
 * Names not seen before are secret when one of their words (split at `-`, `_`, `.`, spaces and
 * camelCase) is one of these: `X-Relay-Token`, `accessKey`, `sessionToken`, `db_password`, and
 * the plurals that hold lists of them (`"keys": [...]`, `api_keys`). Not `tokens`: that is a
 * count or a tokenizer's output far more often than a list of credentials.
 */
const SECRET_WORDS = new Set([
  'key',
  'keys',
  'apikey',
  'apikeys',
  'token',
  'secret',
  'secrets',
  'auth',
  'authorization',
  'password',
  'passwords',
  'passwd',
  'signature',
  'credential',
  'credentials',
  'session',
  'bearer',
]);

/**
 * Names the rule above must not touch: rate-limit and usage figures, WebSocket handshake nonces,
 * CORS lists, session identifiers that group an agent's turns and OAuth's token type are not
 * credentials. (`www-authenticate` needs no rule: `authenticate` is not one of the words.)
 */
const NOT_SECRET = [
  /ratelimit/i, // x-ratelimit-remaining-tokens, anthropic-ratelimit-input-tokens-limit
  /^(max|prompt|completion|total|input|output|cached|reasoning)[-_](completion[-_]|output[-_])?tokens?$/i, // max_tokens, max_output_tokens
  /^sec-websocket-(key|accept)$/i,
  /^access-control-/i,
  /(^|[-_])session[-_]?id$/i, // session-id, x-session-id, x-claude-code-session-id
  /^token[-_]?(count|type|usage|limit)s?$/i,
  // Chosen by the client to route a prompt cache or to make a retry safe, never a credential;
  // Codex sends prompt_cache_key in every turn (masking it changed 917 bodies in a soak).
  /^(prompt[-_]?)?cache[-_]?key$/i,
  /^(x-)?idempotency[-_]?key$/i,
  // Gemini's thought signatures go back in the next turn: masked, a replayed conversation fails.
  /^thought[-_]?signature$/i,
];

function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[-_.\s[\]]+/);
}

function decideSecretName(name: string): boolean {
  const lower = name.toLowerCase().replace(/\[\]$/, '');
  if (SECRET_NAMES.has(lower)) return true;
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

/**
 * The one list of headers a model provider reads its API key from, in the order a call is
 * searched for its key: `Authorization` (OpenAI and the relays that copy it), `x-api-key`
 * (Anthropic), `api-key` (Azure OpenAI), `x-goog-api-key` (Gemini). Masking needs no list (the
 * rules above catch these and every other credential); the diagnosis ("no key was sent") and the
 * comparison ("with the same key") do. Each is masked by isSecretName (test/secret-headers.test.ts).
 */
export const KEY_HEADERS: readonly string[] = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'];

/** The query parameters that carry the same key: Gemini's `?key=`, and `api_key` / `api-key` of relays that copy it. */
export const KEY_PARAMS: readonly string[] = ['key', 'api_key', 'api-key'];

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
  return eq < 0
    ? `${lead}${maskSecret(pair.trim())}`
    : `${pair.slice(0, eq + 1)}${maskSecret(pair.slice(eq + 1).trim())}`;
}

/** Basic credentials show the user name only: any tail of the base64 would give away the password's end. */
function maskBasic(encoded: string): string {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 && /^[\x20-\x7e]*$/.test(decoded.slice(0, colon)) ? `${decoded.slice(0, colon)}:****` : '****';
}

function maskHeaderValue(name: string, value: string): string {
  if (name === 'cookie') return value.split(';').map(maskCookiePair).join(';');
  if (name === 'set-cookie') {
    const semi = value.indexOf(';');
    return `${maskCookiePair(semi < 0 ? value : value.slice(0, semi))}${semi < 0 ? '' : value.slice(semi)}`;
  }
  // Keep the scheme ("Bearer", "Basic") visible: it tells which kind of credential was sent.
  const scheme = /^([A-Za-z][\w-]*) +(\S[\s\S]*)/.exec(value);
  if (scheme && (/authorization/.test(name) || /^(bearer|basic|token)$/i.test(scheme[1]))) {
    return `${scheme[1]} ${scheme[1].toLowerCase() === 'basic' ? maskBasic(scheme[2]) : maskSecret(scheme[2])}`;
  }
  return maskSecret(value);
}

/**
 * A browser cannot set a header on a WebSocket, so clients send the credential as a subprotocol
 * (RFC 6455 4.1: a comma-separated list of tokens): OpenAI's Realtime API reads
 * `openai-insecure-api-key.KEY` (its Agents SDK's `useInsecureApiKey`, new-api relays too),
 * Kubernetes `base64url.bearer.authorization.k8s.io.TOKEN`, Deepgram the item after `token`.
 * What follows the first dot-separated part with a secret name, and the item after one that is
 * a secret name alone, are masked; the others (`realtime`, `openai-beta.realtime-v1`) are kept.
 */
function maskSubprotocols(value: string): string {
  let credentialNext = false;
  return value
    .split(',')
    .map((item) => {
      const lead = /^\s*/.exec(item)![0];
      const text = item.slice(lead.length).trimEnd();
      const tail = item.slice(lead.length + text.length);
      if (credentialNext) {
        credentialNext = false;
        return `${lead}${maskSecret(text)}${tail}`;
      }
      const parts = text.split('.');
      const named = parts.findIndex((part) => isSecretName(part));
      if (named === parts.length - 1) credentialNext = parts.length === 1;
      if (named < 0 || named === parts.length - 1) return item;
      const prefix = `${parts.slice(0, named + 1).join('.')}.`;
      return `${lead}${prefix}${maskSecret(text.slice(prefix.length))}${tail}`;
    })
    .join(',');
}

/**
 * Headers whose value is a URL (RFC 9110 10.2.2, 8.8; `Refresh: 5; url=…`): a redirect repeats
 * the request's query, `?key=AIza…` included (an http:// relay sending the client to https://),
 * an OAuth answer puts `#access_token=…` there, a browser sends its page's query in Referer.
 * Masked as a request's path is. `Link` (RFC 8288) holds its URLs inside `<…>`.
 */
const URL_HEADERS = /^(location|content-location|referer|refresh)$/i;

function maskOther(name: string, value: string): string {
  if (/^sec-websocket-protocol$/i.test(name)) return maskSubprotocols(value);
  if (URL_HEADERS.test(name)) return maskPath(value);
  if (/^link$/i.test(name)) return value.replace(/<([^>]*)>/g, (_, url: string) => `<${maskPath(url)}>`);
  return value;
}

export function maskHeaders(headers: Header[]): Header[] {
  return headers.map(([name, value]) =>
    isSecretName(name) ? [name, maskHeaderValue(name.toLowerCase(), value)] : [name, maskOther(name, value)],
  );
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** A secret parameter found in a URL: its name and value, decoded. */
export type SecretParam = [name: string, value: string];

/** One `name=value` of a parameter list, its value masked when the name is secret (and then noted in `found`). */
function maskParam(part: string, found: SecretParam[] | null): string {
  const eq = part.indexOf('=');
  if (eq < 0) return part;
  const name = decoded(part.slice(0, eq));
  if (!isSecretName(name)) return part;
  const value = decoded(part.slice(eq + 1));
  const masked = maskSecret(value);
  if (masked !== value) found?.push([name, value]);
  return `${part.slice(0, eq + 1)}${encodeURIComponent(masked)}`;
}

/**
 * Every pair of a query or fragment, split at `&` and `;` (both separate pairs, and an HTML
 * `&amp;` is then `&`, `amp`, `;`), and at a `?` or `#` inside it: over-splitting a value only
 * means a `name=value` inside it is masked too.
 */
function maskParamList(text: string, found: SecretParam[] | null): string {
  // The separators are kept as parts of their own (they have no `=`, so they stay as they are).
  return text
    .split(/([?#&;])/)
    .map((part) => maskParam(part, found))
    .join('');
}

function maskUrl(pathAndQuery: string, found: SecretParam[] | null): string {
  const userInfo = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i.exec(pathAndQuery);
  let text = pathAndQuery;
  if (userInfo) {
    const colon = userInfo[2].indexOf(':');
    const user = colon < 0 ? '****' : `${userInfo[2].slice(0, colon)}:****`;
    text = `${userInfo[1]}${user}@${text.slice(userInfo[0].length)}`;
  }
  const rest = text.search(/[?#]/);
  const path = rest < 0 ? text : text.slice(0, rest);
  // Matrix parameters: each `;name=value` of a segment, up to the next `;` or `/`.
  const maskedPath = path.replace(/;([^;/]*)/g, (_, param: string) => `;${maskParam(param, found)}`);
  return rest < 0 ? maskedPath : `${maskedPath}${maskParamList(text.slice(rest), found)}`;
}

/**
 * Masks secrets in a path: query parameters (`?key=AIza...`, `&token[]=...`, `;key=...`,
 * `%6Bey=...`, any case), the fragment's (`#access_token=...`), matrix parameters
 * (`/v1;key=...`) and user info of an absolute URL (`https://user:pass@host/`), leaving the
 * rest byte for byte.
 */
export function maskPath(pathAndQuery: string): string {
  return maskUrl(pathAndQuery, null);
}

/**
 * Masks the secret parameters of an `application/x-www-form-urlencoded` body, as a query's are
 * (`refresh_token=…&client_secret=…`: an OAuth token request, RFC 6749 2.3.1 and 6; GitHub's
 * token answer `access_token=…&scope=…`). Null when there is nothing to mask.
 */
export function maskFormText(text: string): string | null {
  const masked = maskParamList(text, null);
  return masked === text ? null : masked;
}

/** A body's text with its secrets masked: a form's parameters (else, mislabelled, its JSON), or JSON's members; null when nothing is. */
export function maskBodyText(text: string, form: boolean): string | null {
  return form ? (maskFormText(text) ?? maskJsonText(text)) : maskJsonText(text);
}

/** The parameters maskPath masks in this path, with their real values (to fingerprint them). */
export function secretParams(pathAndQuery: string): SecretParam[] {
  const found: SecretParam[] = [];
  maskUrl(pathAndQuery, found);
  return found;
}

/**
 * A cheap look before a scan: a member name holding one of the words every secret name has
 * (see isSecretName), or written with escapes (which hide its words), with a string, object or
 * array as its value. It must match wherever maskJsonText would mask something.
 */
const JSON_SECRET_HINT =
  /"[^"]*(key|token|secret|auth|pass|sig|credential|session|cookie|bearer|\\)[^"]*"\s*:\s*["{[]/i;

/** Whether JSON text may hold a member maskJsonText would mask (false: it certainly does not). */
export function mayHoldJsonSecret(text: string): boolean {
  return JSON_SECRET_HINT.test(text);
}

// A form parameter whose name holds one of the hint words (or an escape, which may spell one).
const FORM_SECRET_HINT = /(?:^|&)[^&=]*(key|token|secret|auth|pass|sig|credential|session|cookie|bearer|%)[^&=]*=/i;

/** Whether form text may hold a parameter maskFormText would mask (false: it certainly does not). */
export function mayHoldFormSecret(text: string): boolean {
  return FORM_SECRET_HINT.test(text);
}

/**
 * Masks the string values of JSON members with secret names (`"api_key": "..."`, and every
 * string inside one, as in `"client_secret": {"value": "..."}` or `"keys": ["..."]`), keeping
 * the rest of the text byte for byte. The text is scanned, not parsed: escapes, several
 * documents in a row (NDJSON, JSON text sequences) and a document cut short are masked too.
 * Returns null when the text does not start as JSON (an object or array) or has nothing to mask.
 */
export function maskJsonText(text: string): string | null {
  if (!/^[\s\x1e]*[{[]/.test(text) || !mayHoldJsonSecret(text)) return null;
  const masked = maskJsonStrings(text);
  return masked === text ? null : masked;
}

/** Where a string literal starting at `start` ends (after its closing quote), or -1 when the text is cut inside it. */
function stringEnd(text: string, start: number): number {
  for (let from = start + 1; ; ) {
    const quote = text.indexOf('"', from);
    if (quote === -1) return -1;
    let backslashes = 0;
    while (text[quote - 1 - backslashes] === '\\') backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** A string literal's value; its raw text when its escapes are invalid. */
function literalValue(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return literal.slice(1, -1);
  }
}

/**
 * One pass over the text's structure, with a stack of the open objects and arrays (not
 * recursion: a relay can nest JSON deeper than the call stack goes).
 */
function maskJsonStrings(text: string): string {
  const structure = /["{}[\],]/g;
  const pieces: string[] = [];
  let copied = 0;
  // Per open object or array: whether every string in it is secret (it is inside a secret member), and whether it is an object.
  const secretInside: boolean[] = [];
  const isObject: boolean[] = [];
  let expectingName = false;
  let nameIsSecret = false;
  for (let match = structure.exec(text); match; match = structure.exec(text)) {
    const at = match.index;
    const inObject = isObject.at(-1) ?? false;
    const valueIsSecret = (secretInside.at(-1) ?? false) || (inObject && nameIsSecret);
    switch (match[0]) {
      case '"': {
        const end = stringEnd(text, at);
        const close = end === -1 ? text.length : end;
        structure.lastIndex = close;
        if (inObject && expectingName) {
          nameIsSecret = isSecretName(literalValue(text.slice(at, close)));
          expectingName = false;
          break;
        }
        if (!valueIsSecret) break;
        // Cut inside the secret: its last characters are not its tail, so none are shown.
        pieces.push(text.slice(copied, at), end === -1 ? '"****' : maskedLiteral(text.slice(at, end)));
        copied = close;
        break;
      }
      case '{':
      case '[':
        secretInside.push(valueIsSecret);
        isObject.push(match[0] === '{');
        expectingName = match[0] === '{';
        break;
      case '}':
      case ']':
        secretInside.pop();
        isObject.pop();
        break;
      default: // ','
        expectingName = inObject;
    }
  }
  pieces.push(text.slice(copied));
  return pieces.join('');
}

/** A secret string literal, masked; an empty one is left as it is. */
function maskedLiteral(literal: string): string {
  const value = literalValue(literal);
  return value === '' ? literal : JSON.stringify(maskSecret(value));
}
