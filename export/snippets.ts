// Code that repeats a captured request: httpsnippet writes cURL, JavaScript fetch and Python
// requests from the HAR entry wirelog already builds; the openai SDK call is ours (httpsnippet
// has no such target). A masked secret becomes a variable reference, so the snippet runs once
// the user sets the variable, and curl always sends exactly the captured bytes.
import { createRequire } from 'node:module';
import { CONNECTION_HEADERS, type Exchange } from '../model/exchange.ts';

type Snippet = { convert(target: string, client?: string): string | string[] | false };
let snippetClass: (new (request: unknown) => Snippet) | null = null;

// Loaded with the first snippet asked for: about 5 MB a capturing process need not hold.
function httpSnippet(request: unknown): Snippet {
  snippetClass ??= (createRequire(import.meta.url)('httpsnippet') as { HTTPSnippet: new (request: unknown) => Snippet }).HTTPSnippet;
  return new snippetClass(request);
}

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
  /** The body as sent, for curl (a shell argument cannot hold NUL bytes or non-UTF-8 bytes). */
  body: Buffer;
  dialect: string | null;
}

export class SnippetError extends Error {}

// The client's own, and those that describe the stored (encoded) body, not the decoded one the snippet sends.
const SKIPPED = new Set([...CONNECTION_HEADERS, 'content-encoding', 'accept-encoding']);

/** The variable a key for this host is read from: OPENAI_API_KEY, ANTHROPIC_API_KEY, OPENROUTER_API_KEY... */
export function keyVariable(host: string, header: string): string {
  const labels = host.toLowerCase().split('.').filter((l) => !['api', 'www', 'gateway', 'com', 'ai', 'io', 'net', 'org', 'dev'].includes(l));
  const name = (labels[0] ?? '').replace(/[^a-z0-9]/g, '_').toUpperCase();
  // An address, or a name a shell variable cannot start with: the plain API_KEY.
  const prefix = /^[A-Z_]/.test(name) && !/^[\d.:[\]]+$/.test(host) ? `${name}_` : '';
  return /cookie/i.test(header) ? `${prefix}COOKIE` : `${prefix}API_KEY`;
}

interface Placeholder {
  token: string;
  variable: string;
}

/** Masked values (`****1234`) replaced by tokens the snippet then turns into variable references. */
function withPlaceholders(input: SnippetInput): { request: HarRequest; placeholders: Placeholder[] } {
  const placeholders: Placeholder[] = [];
  const mark = (value: string, header: string): string =>
    value.replace(/\*{4}[^\s*;,]{0,4}/g, () => {
      const variable = keyVariable(input.exchange.request.host, header);
      const token = `WIRELOGSECRET${placeholders.length}X`;
      placeholders.push({ token, variable });
      return token;
    });
  const headers = input.request.headers.filter((h) => !SKIPPED.has(h.name.toLowerCase())).map((h) => ({ name: h.name, value: mark(h.value, h.name) }));
  const queryString = input.request.queryString.map((q) => ({ name: q.name, value: mark(q.value, q.name) }));
  const url = new URL(input.request.url);
  url.search = '';
  for (const q of queryString) url.searchParams.append(q.name, q.value);
  const request: HarRequest = { ...input.request, url: url.toString(), headers, queryString, cookies: [] };
  if (input.request.postData?.encoding === 'base64') request.postData = { mimeType: input.request.postData.mimeType, text: '' };
  return { request, placeholders };
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * httpsnippet's curl, with the body as `--data-raw` (its `--data` would read a file for a body
 * that starts with `@`), or from standard input when a shell argument cannot hold it.
 */
function curl(input: SnippetInput, request: HarRequest): string {
  const body = input.body;
  const text = body.toString('utf8');
  const printable = body.length > 0 && Buffer.from(text).equals(body) && !text.includes('\0');
  const bodyless = httpSnippet({ ...request, postData: undefined }).convert('shell', 'curl') as string;
  const lines = bodyless.split(' \\\n');
  if (body.length === 0) return lines.join(' \\\n');
  const method = lines.some((l) => l.includes('--request')) ? lines : [lines[0], `  --request ${input.exchange.request.method}`, ...lines.slice(1)];
  if (printable) return [...method, `  --data-raw ${shellQuote(text)}`].join(' \\\n');
  return `printf %s ${shellQuote(body.toString('base64'))} | base64 -d | ${[...method, '  --data-binary @-'].join(' \\\n')}`;
}

// httpsnippet writes a body into a string literal without escaping its backslashes (a JSON body's
// \" and \n come out changed): it gets a token, which is replaced by a literal made here.
const BODY_TOKEN = 'WIRELOGBODYX';

function isUtf8Text(body: Buffer): boolean {
  return Buffer.from(body.toString('utf8')).equals(body) && !body.includes(0);
}

function withBodyToken(request: HarRequest, body: Buffer): HarRequest {
  if (body.length === 0) return { ...request, postData: undefined };
  return { ...request, postData: { mimeType: 'text/plain', text: BODY_TOKEN } };
}

function jsBody(body: Buffer): string {
  return isUtf8Text(body) ? JSON.stringify(body.toString('utf8')) : `Buffer.from(${JSON.stringify(body.toString('base64'))}, 'base64')`;
}

function pythonBody(body: Buffer): string {
  // A JSON string literal is a Python one too; encoded, so requests sends UTF-8, not Latin-1.
  return isUtf8Text(body) ? `${JSON.stringify(body.toString('utf8'))}.encode("utf-8")` : `base64.b64decode(${JSON.stringify(body.toString('base64'))})`;
}

function fillShell(code: string, placeholders: Placeholder[]): string {
  // Inside single quotes: close them, expand the variable in double quotes, reopen.
  return placeholders.reduce((text, p) => text.replaceAll(p.token, `'"$${p.variable}"'`), code);
}

function fillJavaScript(code: string, placeholders: Placeholder[]): string {
  let out = code;
  for (const p of placeholders) {
    out = out.replace(new RegExp(`'((?:[^'\\\\]|\\\\.)*)${p.token}((?:[^'\\\\]|\\\\.)*)'`, 'g'), (_m, before: string, after: string) => `\`${before.replace(/`/g, '\\`')}\${process.env.${p.variable}}${after.replace(/`/g, '\\`')}\``);
  }
  return out;
}

function fillPython(code: string, placeholders: Placeholder[]): string {
  let out = code;
  for (const p of placeholders) {
    out = out.replace(new RegExp(`"((?:[^"\\\\]|\\\\.)*)${p.token}((?:[^"\\\\]|\\\\.)*)"`, 'g'), (_m, before: string, after: string) => `"${before}" + os.environ["${p.variable}"] + "${after}"`);
  }
  return placeholders.length && !/^import os$/m.test(out) ? `import os\n${out}` : out;
}

/** The openai SDK (Python) call for a Chat Completions or Responses request, its base URL and key from the capture. */
function openaiCall(input: SnippetInput, request: HarRequest, placeholders: Placeholder[]): string {
  const { exchange } = input;
  const path = exchange.request.path.split('?')[0];
  const endpoint = input.dialect === 'openai-responses' ? '/responses' : input.dialect === 'openai-chat' ? '/chat/completions' : null;
  if (!endpoint || !path.endsWith(endpoint)) throw new SnippetError('the openai SDK snippet is for Chat Completions and Responses calls; use curl, fetch or python for this one');
  const url = new URL(input.request.url);
  const baseUrl = `${url.origin}${path.slice(0, path.length - endpoint.length)}`;
  const auth = request.headers.find((h) => h.name.toLowerCase() === 'authorization')?.value ?? '';
  const masked = placeholders.find((p) => auth.includes(p.token));
  const key = masked ? `os.environ["${masked.variable}"]` : JSON.stringify(auth.replace(/^Bearer\s+/i, '') || 'YOUR_KEY');
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(input.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new SnippetError('the request body is not JSON, so there is no SDK call to write: use curl, fetch or python');
  }
  const method = endpoint === '/responses' ? 'client.responses.create' : 'client.chat.completions.create';
  const stream = body.stream === true;
  return [
    'import json',
    'import os',
    '',
    'from openai import OpenAI',
    '',
    `client = OpenAI(base_url=${JSON.stringify(baseUrl)}, api_key=${key})`,
    `request = json.loads(${JSON.stringify(JSON.stringify(body))})`,
    `response = ${method}(**request)`,
    stream ? 'for event in response:\n    print(event)' : 'print(response)',
    '',
  ].join('\n');
}

export function snippet(input: SnippetInput, target: SnippetTarget): string {
  if (!URL.canParse(input.request.url) || !input.exchange.request.host) throw new SnippetError('this exchange has no URL to send a request to (it was refused before one was read)');
  const { request, placeholders } = withPlaceholders(input);
  switch (target) {
    case 'curl':
      return fillShell(curl(input, request), placeholders);
    case 'fetch': {
      const code = httpSnippet(withBodyToken(request, input.body)).convert('javascript', 'fetch') as string;
      return fillJavaScript(code.replace(`'${BODY_TOKEN}'`, jsBody(input.body)), placeholders);
    }
    case 'python': {
      const code = httpSnippet(withBodyToken(request, input.body)).convert('python', 'requests') as string;
      const filled = fillPython(code.replace(`"${BODY_TOKEN}"`, pythonBody(input.body)), placeholders);
      return isUtf8Text(input.body) || input.body.length === 0 ? filled : `import base64\n${filled}`;
    }
    case 'openai':
      return openaiCall(input, request, placeholders);
  }
}
