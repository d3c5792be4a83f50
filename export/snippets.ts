// Code that repeats a captured request: cURL, JavaScript fetch, Python requests and the openai
// SDK (Python). A masked secret becomes a variable the user sets, and the code sends the
// captured bytes.
//
// Written here rather than by httpsnippet 3.0.10, which wirelog used before: it writes the
// method unquoted in cURL and Python and Python's header names unquoted, puts the URL inside
// '...' in fetch unescaped (a URL path keeps its `'`), percent-decodes inside cURL's quotes
// with its globOff option, leaves a body's backslashes unescaped, and merges or reorders
// repeated headers; each snippet would need our own post-check of generated code in three
// languages, which is more than the few lines per target below. Here every captured field
// reaches the code only through one quoting function per language, and fields no client can
// send as captured (a method or header name that is not an HTTP token, a header value with
// control characters) are refused by name: pasting a snippet runs only what it shows.
import { serverText } from '../i18n/stored-text.ts';
import { keyVariableName } from '../model/env-name.ts';
import { CONNECTION_HEADERS, type Exchange } from '../model/exchange.ts';

export const SNIPPET_TARGETS = ['curl', 'fetch', 'python', 'openai'] as const;
export type SnippetTarget = (typeof SNIPPET_TARGETS)[number];

export interface HarRequest {
  method: string;
  url: string;
  headers: { name: string; value: string }[];
  queryString: { name: string; value: string }[];
  postData?: { mimeType: string; text: string; encoding?: string; params?: unknown[] };
  [key: string]: unknown;
}

export interface SnippetInput {
  exchange: Exchange;
  request: HarRequest;
  /** The body as sent (decoded from its Content-Encoding). */
  body: Buffer;
  dialect: string | null;
}

/**
 * Why a request cannot be copied as code: one of the catalogue's `server.api.snippet*` messages,
 * said in English (the API renders it in the reader's language, i18n/stored-text.ts).
 */
export class SnippetError extends Error {
  constructor(key: `snippet${string}`, params: Record<string, string> = {}) {
    super(serverText('en', `api.${key}`, params));
  }
}

/** How a message names the method, the URL or a header (a parameter of snippetShellBytes). */
const THE_METHOD = () => serverText('en', 'api.snippetTheMethod');
const THE_URL = () => serverText('en', 'api.snippetTheUrl');
const theHeader = (name: string) => serverText('en', 'api.snippetTheHeader', { name: shown(name) });

// The client's own, and those that describe the stored (encoded) body, not the decoded one the snippet sends.
const SKIPPED = new Set([...CONNECTION_HEADERS, 'content-encoding', 'accept-encoding']);

/**
 * The variable a key for this host is read from, the one `wirelog codex-config` names for the
 * same call (model/env-name.ts): OPENAI_API_KEY, OPENROUTER_API_KEY, WIRELOG_127_0_0_1_API_KEY,
 * and ..._COOKIE for a cookie. One name per host, so a user who copies both exports one variable.
 */
export function keyVariable(host: string, header: string): string {
  return keyVariableName(host, /cookie/i.test(header) ? 'COOKIE' : 'API_KEY');
}

/** A piece of a value in a snippet: captured text, a variable holding a masked secret, or base64 of pieces (Basic credentials). */
type Part = string | { variable: string } | { base64: Part[] };

interface Field {
  name: string;
  value: Part[];
}

/** The request as the snippets send it, every field checked. */
interface Plan {
  method: string;
  /** Scheme, host and port: checked, needs no quoting beyond a string literal. */
  origin: string;
  /** Path and query, percent-encoded where a client would re-encode it. */
  target: Part[];
  headers: Field[];
  body: Buffer;
}

// RFC 9110 5.6.2: what a method and a field name are made of.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Control characters a field value cannot hold (HTAB aside), as a byte string.
const FIELD_CONTROL = /[\0-\x08\x0a-\x1f\x7f]/;

/** A captured value as an error message shows it: quoted, escaped and short. */
function shown(text: string): string {
  return escapeText(JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text), () => true);
}

function checkToken(what: 'method' | 'header name', value: string): void {
  if (!TOKEN.test(value))
    throw new SnippetError(what === 'method' ? 'snippetMethodNotToken' : 'snippetHeaderNameNotToken', {
      value: shown(value),
    });
}

/**
 * A header value as the bytes it stands for, one character a byte: a capture stores them so;
 * a value from an imported HAR with characters past U+00FF stands for its UTF-8.
 */
function fieldBytes(name: string, value: string): string {
  const bytes = /^[\0-\xff]*$/.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1');
  if (FIELD_CONTROL.test(bytes)) throw new SnippetError('snippetHeaderControl', { name: shown(name) });
  if (/^[ \t]|[ \t]$/.test(bytes)) throw new SnippetError('snippetHeaderSpace', { name: shown(name) });
  return bytes;
}

/** Every character a client would percent-encode itself (or takes for a delimiter), and a `%` that starts no escape. */
const URL_UNSAFE = /%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/g;

function checkedOrigin(raw: string): { origin: string; pathAndQuery: string } {
  if (!URL.canParse(raw)) throw new SnippetError('snippetNoUrl');
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new SnippetError('snippetNotHttp', { scheme: url.protocol.slice(0, -1) });
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)$/.test(url.hostname))
    throw new SnippetError('snippetBadHost', { host: shown(url.hostname) });
  // Never sent: a fragment. Percent-encoded the rest: the characters fetch, curl and requests all send as they are.
  const pathAndQuery = `${url.pathname}${url.search}`.replace(
    URL_UNSAFE,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  return { origin: url.origin, pathAndQuery };
}

/** Splits masked secrets (`****1234`) out of a text as variable references. */
function withVariables(text: string, mask: RegExp, variable: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (const match of text.matchAll(mask)) {
    parts.push(text.slice(at, match.index), { variable });
    at = match.index + match[0].length;
  }
  parts.push(text.slice(at));
  return parts.filter((p) => p !== '');
}

const HEADER_MASK = /\*{4}[^\s*;,]{0,4}/g;
const URL_MASK = /\*{4}(?:%[0-9A-Fa-f]{2}|[A-Za-z0-9\-._~]){0,4}/g;
// What model/secrets.ts leaves of Basic credentials: the user name, the password masked.
const MASKED_BASIC = /^(basic) ([\x20-\x39\x3b-\x7e]+):\*{4}$/i;

function headerValue(_name: string, value: string, variable: string): Part[] {
  const basic = MASKED_BASIC.exec(value);
  // On the wire it was base64 of user:password: the snippet encodes the password it is given.
  if (basic)
    return [`${basic[1]} `, { base64: [`${basic[2]}:`, { variable: variable.replace(/API_KEY$/, 'PASSWORD') }] }];
  return withVariables(value, HEADER_MASK, variable);
}

function planOf(input: SnippetInput): Plan {
  if (!input.exchange.request.host) throw new SnippetError('snippetNoUrl');
  const { origin, pathAndQuery } = checkedOrigin(input.request.url);
  const method = input.request.method || 'GET';
  checkToken('method', method);
  const host = input.exchange.request.host;
  const headers = input.request.headers
    .filter((h) => !SKIPPED.has(h.name.toLowerCase()))
    .map((h) => {
      checkToken('header name', h.name);
      return { name: h.name, value: headerValue(h.name, fieldBytes(h.name, h.value), keyVariable(host, h.name)) };
    });
  return {
    method,
    origin,
    target: withVariables(pathAndQuery, URL_MASK, keyVariable(host, 'key')),
    headers,
    body: input.body,
  };
}

/** The whole URL: the origin joined to the target's leading text. */
function urlOf(plan: Plan): Part[] {
  return joined([plan.origin, ...plan.target]);
}

/** Repeated fields as one, as fetch and a Python dict hold them (RFC 9110 5.3; cookies with `; `). */
function mergedHeaders(headers: Field[]): Field[] {
  const byName = new Map<string, Field>();
  for (const h of headers) {
    const key = h.name.toLowerCase();
    const seen = byName.get(key);
    if (seen) seen.value = joined([...seen.value, key === 'cookie' ? '; ' : ', ', ...h.value]);
    else byName.set(key, { name: h.name, value: [...h.value] });
  }
  return [...byName.values()];
}

function variablesOf(parts: Part[]): boolean {
  return parts.some((p) => typeof p !== 'string' && ('variable' in p || variablesOf(p.base64)));
}

function base64Of(parts: Part[]): boolean {
  return parts.some((p) => typeof p !== 'string' && 'base64' in p);
}

// Characters that would let pasted text act or read other than it shows: controls (a terminal
// takes ESC and CR as keys), line and paragraph separators, bidirectional overrides (Trojan
// Source) and the byte order mark. String literals spell them as escapes.
const UNSHOWABLE =
  /[\0-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeText(text: string, shouldEscape: (c: string) => boolean): string {
  return text.replace(UNSHOWABLE, (c) => (shouldEscape(c) ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c));
}

function isUtf8Text(body: Buffer): boolean {
  return Buffer.from(body.toString('utf8')).equals(body);
}

// ---- shell (sh, bash, zsh, fish) ----

/**
 * A shell word that is exactly `text`: single-quoted runs, `'` and `\` escaped outside them
 * (fish reads `\\` and `\'` inside single quotes, POSIX shells do not; outside, all agree).
 */
export function shellString(text: string): string {
  if (text === '') return "''";
  return text
    .split(/(['\\])/)
    .filter((s) => s !== '')
    .map((s) => (s === "'" || s === '\\' ? `\\${s}` : `'${s}'`))
    .join('');
}

/** Whether a shell argument can carry the text as pasted: no NUL, no character a terminal takes as a key or shows otherwise. */
function shellShowable(text: string, newlines: boolean): boolean {
  const rest = newlines ? text.replace(/\n/g, '') : text;
  return !rest.includes('\t') && rest.replace(UNSHOWABLE, '') === rest;
}

function shellParts(parts: Part[], what: string): string {
  if (parts.length === 1 && typeof parts[0] === 'string' && /^[A-Za-z0-9][A-Za-z0-9\-_/.:@%+,]*$/.test(parts[0]))
    return parts[0];
  // Quoted text on both sides of a variable, as '...'"$VAR"'...'.
  const padded: Part[] = typeof parts[0] === 'string' ? [...parts] : ['', ...parts];
  if (typeof padded[padded.length - 1] !== 'string') padded.push('');
  return padded
    .map((p) => {
      if (typeof p === 'string') return shellString(shellText(p, what));
      if ('variable' in p) return `"$${p.variable}"`;
      return `"$(printf %s ${shellParts(p.base64, what)} | base64 | tr -d '\\n')"`;
    })
    .join('');
}

/** A header's bytes as the text a pasted shell command passes on: their UTF-8 reading, when it gives them back. */
function shellText(bytes: string, what: string): string {
  const text = Buffer.from(bytes, 'latin1').toString('utf8');
  if (Buffer.from(text, 'utf8').toString('latin1') !== bytes || !shellShowable(text, false)) {
    throw new SnippetError('snippetShellBytes', { what });
  }
  return text;
}

function curl(plan: Plan): string {
  const url = urlOf(plan);
  const args = [
    plan.method === 'HEAD' ? '--head' : `--request ${shellParts([plan.method], THE_METHOD())}`,
    `--url ${shellParts(url, THE_URL())}`,
  ];
  // curl reads [ ] { } in a URL as a glob; only an IPv6 address still has them.
  if (plan.origin.includes('[')) args.push('--globoff');
  for (const h of plan.headers) {
    const [scheme, credentials] = h.value;
    const what = theHeader(h.name);
    if (
      h.name.toLowerCase() === 'authorization' &&
      h.value.length === 2 &&
      scheme === 'Basic ' &&
      typeof credentials !== 'string' &&
      'base64' in credentials
    ) {
      args.push(`--user ${shellParts(credentials.base64, what)}`);
    } else if (h.value.length === 0) {
      // `Name:` would remove curl's own header of that name; `Name;` sends it empty.
      args.push(`--header ${shellParts([`${h.name};`], what)}`);
    } else {
      args.push(`--header ${shellParts(joined([`${h.name}: `, ...h.value]), what)}`);
    }
  }
  const body = plan.body;
  if (body.length === 0) return `curl ${args.join(' \\\n  ')}`;
  // --data-raw, as --data reads a file for a body that starts with @.
  if (isUtf8Text(body) && shellShowable(body.toString('utf8'), true))
    return `curl ${[...args, `--data-raw ${shellString(body.toString('utf8'))}`].join(' \\\n  ')}`;
  return `printf %s ${shellString(body.toString('base64'))} | base64 -d | curl ${[...args, '--data-binary @-'].join(' \\\n  ')}`;
}

// ---- JavaScript (Node) ----

function jsString(text: string): string {
  const escaped = text.replace(
    /[\\'\n\r\t]/g,
    (c) => ({ '\\': '\\\\', "'": "\\'", '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!,
  );
  return `'${escapeText(escaped, () => true)}'`;
}

function jsParts(parts: Part[]): string {
  if (parts.length === 0) return "''";
  return parts
    .map((p) =>
      typeof p === 'string'
        ? jsString(p)
        : 'variable' in p
          ? `process.env.${p.variable}`
          : `Buffer.from(${jsParts(p.base64)}).toString('base64')`,
    )
    .join(' + ');
}

function jsKey(name: string): string {
  // In an object literal, a "__proto__" key sets the prototype instead of a property.
  if (name === '__proto__') return `[${jsString(name)}]`;
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : jsString(name);
}

function fetchCall(plan: Plan): string {
  const lines = [`const url = ${jsParts(urlOf(plan))};`, 'const options = {', `  method: ${jsString(plan.method)},`];
  const headers = mergedHeaders(plan.headers);
  if (headers.length)
    lines.push('  headers: {', ...headers.map((h) => `    ${jsKey(h.name)}: ${jsParts(h.value)},`), '  },');
  if (plan.body.length) {
    const text = isUtf8Text(plan.body) ? plan.body.toString('utf8') : null;
    lines.push(
      `  body: ${text !== null ? jsString(text) : `Buffer.from(${jsString(plan.body.toString('base64'))}, 'base64')`},`,
    );
  }
  lines.push('};', '', 'const response = await fetch(url, options);', 'console.log(await response.text());', '');
  return lines.join('\n');
}

// ---- Python ----

export function pyString(text: string): string {
  const escaped = text.replace(
    /[\\"\n\r\t]/g,
    (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!,
  );
  return `"${escapeText(escaped, () => true)}"`;
}

function pyParts(parts: Part[]): string {
  if (parts.length === 0) return '""';
  return parts
    .map((p) =>
      typeof p === 'string'
        ? pyString(p)
        : 'variable' in p
          ? `os.environ[${pyString(p.variable)}]`
          : `base64.b64encode((${pyParts(p.base64)}).encode()).decode()`,
    )
    .join(' + ');
}

function pythonCall(plan: Plan): string {
  const headers = mergedHeaders(plan.headers);
  const url = urlOf(plan);
  const text = isUtf8Text(plan.body) ? plan.body.toString('utf8') : null;
  const stdlib = [
    ...(headers.some((h) => base64Of(h.value)) || text === null ? ['import base64'] : []),
    ...(variablesOf(url) || headers.some((h) => variablesOf(h.value)) ? ['import os'] : []),
  ];
  const lines = [...stdlib, ...(stdlib.length ? [''] : []), 'import requests', '', `url = ${pyParts(url)}`];
  let call = `response = requests.request(${pyString(plan.method)}, url`;
  if (headers.length) {
    lines.push('headers = {', ...headers.map((h) => `    ${pyString(h.name)}: ${pyParts(h.value)},`), '}');
    call += ', headers=headers';
  }
  if (plan.body.length) {
    // Bytes, so requests sends UTF-8 rather than Latin-1.
    lines.push(
      `payload = ${text !== null ? `${pyString(text)}.encode("utf-8")` : `base64.b64decode(${pyString(plan.body.toString('base64'))})`}`,
    );
    call += ', data=payload';
  }
  lines.push('', `${call})`, 'print(response.text)', '');
  return lines.join('\n');
}

/** The query of a target as decoded names and values (a masked value a variable), for the SDK's default_query. */
function queryPairs(target: Part[]): [string, Part[]][] {
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      throw new SnippetError('snippetQueryNotEncoded', { value: shown(s) });
    }
  };
  // One unit a character, a variable staying whole.
  const units = target.flatMap((p): Part[] => (typeof p === 'string' ? [...p] : [p]));
  const q = units.indexOf('?');
  if (q < 0) return [];
  const pairs: [string, Part[]][] = [];
  let pair: Part[] = [];
  for (const unit of [...units.slice(q + 1), '&']) {
    if (unit !== '&') {
      pair.push(unit);
      continue;
    }
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (name.some((p) => typeof p !== 'string')) throw new SnippetError('snippetQuerySecretName');
    if (pair.length)
      pairs.push([
        decode(name.join('')),
        joined(eq < 0 ? [] : pair.slice(eq + 1)).map((p) => (typeof p === 'string' ? decode(p) : p)),
      ]);
    pair = [];
  }
  const names = new Set(pairs.map(([n]) => n));
  if (names.size !== pairs.length) throw new SnippetError('snippetQueryRepeats');
  return pairs;
}

/** Adjacent text parts as one. */
function joined(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const last = out.length - 1;
    if (typeof p === 'string' && typeof out[last] === 'string') out[last] += p;
    else out.push(p);
  }
  return out;
}

/** The openai SDK (Python) call for a Chat Completions or Responses request: base URL, key, headers and query from the capture. */
function openaiCall(input: SnippetInput, plan: Plan): string {
  const endpoint =
    input.dialect === 'openai-responses' ? '/responses' : input.dialect === 'openai-chat' ? '/chat/completions' : null;
  const first = typeof plan.target[0] === 'string' ? plan.target[0] : '';
  const path = first.split('?')[0];
  // A path holding a masked secret (`/v1;key=****`) has no base URL to give.
  const secretInPath = !first.includes('?') && plan.target.length > 1;
  if (!endpoint || !path.endsWith(endpoint) || secretInPath) throw new SnippetError('snippetSdkEndpoint');
  const text = isUtf8Text(plan.body) ? plan.body.toString('utf8') : '';
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SnippetError('snippetBodyNotJson');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SnippetError('snippetBodyNotObject');
  const baseUrl = `${plan.origin}${path.slice(0, path.length - endpoint.length)}`;
  const headers = mergedHeaders(plan.headers);
  // The SDK sends its key as `Authorization: Bearer <key>`; other credentials go as they were, in default_headers (which win).
  const auth = headers.find(
    (h) => h.name.toLowerCase() === 'authorization' && typeof h.value[0] === 'string' && /^Bearer\s+/i.test(h.value[0]),
  );
  const key = auth
    ? joined(auth.value.map((p, i) => (i === 0 && typeof p === 'string' ? p.replace(/^Bearer\s+/i, '') : p))).filter(
        (p) => p !== '',
      )
    : [];
  const extra = headers.filter((h) => h !== auth && h.name.toLowerCase() !== 'content-type');
  const query = queryPairs(plan.target);
  const options = [`base_url=${pyString(baseUrl)}`, `api_key=${key.length ? pyParts(key) : pyString('YOUR_KEY')}`];
  if (extra.length)
    options.push(`default_headers={${extra.map((h) => `${pyString(h.name)}: ${pyParts(h.value)}`).join(', ')}}`);
  if (query.length)
    options.push(`default_query={${query.map(([n, v]) => `${pyString(n)}: ${pyParts(v)}`).join(', ')}}`);
  const method = endpoint === '/responses' ? 'client.responses.create' : 'client.chat.completions.create';
  const stream = (body as { stream?: unknown }).stream === true;
  const imports = [...(headers.some((h) => base64Of(h.value)) ? ['import base64'] : []), 'import json', 'import os'];
  return [
    ...imports,
    '',
    'from openai import OpenAI',
    '',
    `client = OpenAI(${options.join(', ')})`,
    // The body's own text: a parse and a dump would change its numbers and repeated keys.
    `request = json.loads(${pyString(text)})`,
    `response = ${method}(**request)`,
    stream ? 'for event in response:\n    print(event)' : 'print(response)',
    '',
  ].join('\n');
}

export function snippet(input: SnippetInput, target: SnippetTarget): string {
  const plan = planOf(input);
  switch (target) {
    case 'curl':
      return curl(plan);
    case 'fetch':
      return fetchCall(plan);
    case 'python':
      return pythonCall(plan);
    case 'openai':
      return openaiCall(input, plan);
  }
}
