// Two exchanges side by side: what differs in the request line, the headers (secrets compared
// by fingerprint, never by value), the JSON bodies (as paths), and the responses. Pure.
import { exchangeUrl, type Exchange, type Header } from './exchange.ts';
import { nestedDeeperThan } from './json-depth.ts';
import { KEY_HEADERS, KEY_PARAMS } from './secrets.ts';
import { serverText } from '../i18n/stored-text.ts';

export type Change = 'added' | 'removed' | 'changed';

export interface HeaderDifference {
  name: string;
  a: string | null;
  b: string | null;
  change: Change;
}

/** For a header that carried a secret in either exchange: whether the same key was sent. */
export interface SecretComparison {
  name: string;
  verdict: 'same key' | 'different key' | 'no key in a' | 'no key in b';
}

export interface JsonDifference {
  /** `$.messages[0].content` */
  path: string;
  change: Change;
  a?: unknown;
  b?: unknown;
  /** A value whose JSON is longer than MAX_SHOWN_VALUE stands as the start of its JSON text (a string), not as itself. */
  clipped?: true;
}

export type BodyComparison =
  | { kind: 'json'; same: boolean; differences: JsonDifference[]; truncated: boolean }
  | { kind: 'text'; same: boolean; aSize: number; bSize: number }
  /** A body past the size compared in full: its stored bytes compared (same or not), sizes in bytes, and `why` says so. */
  | { kind: 'bytes'; same: boolean; aSize: number; bSize: number; why: string }
  | { kind: 'none' };

export interface Comparison {
  a: number;
  b: number;
  request: { a: string; b: string; same: boolean };
  requestHeaders: HeaderDifference[];
  secrets: SecretComparison[];
  requestBody: BodyComparison;
  response: { a: number | null; b: number | null; same: boolean };
  responseHeaders: HeaderDifference[];
  responseBody: BodyComparison;
}

export interface Compared {
  exchange: Exchange;
  requestText: string | null;
  responseText: string | null;
}

// Differences that every two exchanges have: they would drown the ones that matter.
const ALWAYS_DIFFERENT = new Set([
  'date',
  'content-length',
  'x-request-id',
  'request-id',
  'cf-ray',
  'x-client-request-id',
  'session-id',
  'thread-id',
  'x-codex-turn-metadata',
  'traceparent',
  'set-cookie',
  'age',
  'etag',
  'x-amzn-requestid',
  'x-amzn-trace-id',
  'openai-processing-ms',
  'x-envoy-upstream-service-time',
]);
const MAX_JSON_DIFFERENCES = 300;
// Characters of a differing value's JSON given in a comparison: a changed 40 MB array is named, not sent.
export const MAX_SHOWN_VALUE = 1024;

function byName(headers: Header[]): Map<string, { name: string; value: string }> {
  const map = new Map<string, { name: string; value: string }>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const before = map.get(key);
    map.set(key, { name: before?.name ?? name, value: before ? `${before.value}, ${value}` : value });
  }
  return map;
}

export function headerDifferences(a: Header[], b: Header[], skip: ReadonlySet<string> = new Set()): HeaderDifference[] {
  const left = byName(a);
  const right = byName(b);
  const out: HeaderDifference[] = [];
  for (const key of new Set([...left.keys(), ...right.keys()])) {
    if (ALWAYS_DIFFERENT.has(key) || skip.has(key)) continue;
    const x = left.get(key);
    const y = right.get(key);
    if (x && y && x.value === y.value) continue;
    out.push({
      name: (x ?? y)!.name,
      a: x?.value ?? null,
      b: y?.value ?? null,
      change: !x ? 'added' : !y ? 'removed' : 'changed',
    });
  }
  return out;
}

export function compareSecrets(a: Exchange, b: Exchange): SecretComparison[] {
  const left = new Map((a.request.secrets ?? []).map((s) => [s.name.toLowerCase(), s.fingerprint]));
  const right = new Map((b.request.secrets ?? []).map((s) => [s.name.toLowerCase(), s.fingerprint]));
  return [...new Set([...left.keys(), ...right.keys()])].map((name) => {
    const x = left.get(name);
    const y = right.get(name);
    return { name, verdict: !x ? 'no key in a' : !y ? 'no key in b' : x === y ? 'same key' : 'different key' };
  });
}

function step(path: string, key: string | number): string {
  return typeof key === 'number'
    ? `${path}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`;
}

/** A differing value as a comparison carries it: itself, or the start of its JSON when that is long (walked iteratively, never whole). */
function shown(value: unknown): { value: unknown; clipped: boolean } {
  if (value === null || typeof value !== 'object')
    return typeof value === 'string' && value.length > MAX_SHOWN_VALUE
      ? { value: `${JSON.stringify(value.slice(0, MAX_SHOWN_VALUE)).slice(0, MAX_SHOWN_VALUE)}…`, clipped: true }
      : { value, clipped: false };
  const preview = jsonPreview(value, MAX_SHOWN_VALUE);
  return preview === null ? { value, clipped: false } : { value: preview, clipped: true };
}

/**
 * The start of a value's JSON text when it is longer than `max` characters, else null: written
 * with an explicit stack, stopping at `max`, so a 40 MB or deeply nested value costs `max`.
 */
export function jsonPreview(value: unknown, max: number): string | null {
  let out = '';
  // Per open array or object: the value, its keys (null for an array: indexes), the next entry.
  const stack: { value: unknown[] | Record<string, unknown>; keys: string[] | null; at: number }[] = [];
  const open = (v: unknown): void => {
    if (v === null || typeof v !== 'object') {
      out += v === undefined ? 'null' : JSON.stringify(v).slice(0, max + 1);
      return;
    }
    const array = Array.isArray(v);
    out += array ? '[' : '{';
    stack.push({ value: v as unknown[] | Record<string, unknown>, keys: array ? null : Object.keys(v), at: 0 });
  };
  open(value);
  while (stack.length && out.length <= max) {
    const top = stack[stack.length - 1];
    const length = top.keys === null ? (top.value as unknown[]).length : top.keys.length;
    if (top.at >= length) {
      out += top.keys === null ? ']' : '}';
      stack.pop();
      continue;
    }
    const key = top.keys === null ? null : top.keys[top.at];
    out += `${top.at ? ',' : ''}${key === null ? '' : `${JSON.stringify(key)}:`}`;
    open(key === null ? (top.value as unknown[])[top.at] : (top.value as Record<string, unknown>)[key]);
    top.at++;
  }
  return out.length > max ? `${out.slice(0, max)}…` : null;
}

/** Paths where two JSON values differ, depth first, at most `limit` of them. */
export function jsonDifferences(
  a: unknown,
  b: unknown,
  limit = MAX_JSON_DIFFERENCES,
): { differences: JsonDifference[]; truncated: boolean } {
  const differences: JsonDifference[] = [];
  let truncated = false;
  const push = (d: JsonDifference): void => {
    if (differences.length >= limit) {
      truncated = true;
      return;
    }
    const out: JsonDifference = { path: d.path, change: d.change };
    let clipped = false;
    for (const side of ['a', 'b'] as const) {
      if (!(side in d)) continue;
      const s = shown(d[side]);
      out[side] = s.value;
      clipped ||= s.clipped;
    }
    if (clipped) out.clipped = true;
    differences.push(out);
  };
  const walk = (x: unknown, y: unknown, path: string): void => {
    if (differences.length >= limit) {
      truncated = true;
      return;
    }
    const bothObjects =
      x !== null &&
      y !== null &&
      typeof x === 'object' &&
      typeof y === 'object' &&
      Array.isArray(x) === Array.isArray(y);
    if (!bothObjects) {
      // Two plain values differ unless equal; a plain value and an object (or an array and an object) always do.
      const plain = (v: unknown) => v === null || typeof v !== 'object';
      if (!(plain(x) && plain(y) && x === y)) push({ path, change: 'changed', a: x, b: y });
      return;
    }
    if (Array.isArray(x) && Array.isArray(y)) {
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        if (i >= x.length) push({ path: step(path, i), change: 'added', b: y[i] });
        else if (i >= y.length) push({ path: step(path, i), change: 'removed', a: x[i] });
        else walk(x[i], y[i], step(path, i));
      }
      return;
    }
    const left = x as Record<string, unknown>;
    const right = y as Record<string, unknown>;
    for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
      if (!(key in right)) push({ path: step(path, key), change: 'removed', a: left[key] });
      else if (!(key in left)) push({ path: step(path, key), change: 'added', b: right[key] });
      else walk(left[key], right[key], step(path, key));
    }
  };
  walk(a, b, '$');
  return { differences, truncated };
}

function parsed(text: string | null): { ok: true; value: unknown } | { ok: false } {
  // Too deep for the recursive walk below: compared as text.
  if (text === null || nestedDeeperThan(text)) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function compareBodies(a: string | null, b: string | null): BodyComparison {
  if (!a && !b) return { kind: 'none' };
  const x = parsed(a);
  const y = parsed(b);
  if (x.ok && y.ok) {
    const { differences, truncated } = jsonDifferences(x.value, y.value);
    return { kind: 'json', same: differences.length === 0, differences, truncated };
  }
  return { kind: 'text', same: a === b, aSize: a?.length ?? 0, bSize: b?.length ?? 0 };
}

function requestLine(e: Exchange): string {
  return `${e.request.method} ${exchangeUrl(e.request)}`;
}

export function compareExchanges(a: Compared, b: Compared): Comparison {
  const secretNames = new Set(
    [...(a.exchange.request.secrets ?? []), ...(b.exchange.request.secrets ?? [])].map((s) => s.name.toLowerCase()),
  );
  return {
    a: a.exchange.id,
    b: b.exchange.id,
    request: {
      a: requestLine(a.exchange),
      b: requestLine(b.exchange),
      same: requestLine(a.exchange) === requestLine(b.exchange),
    },
    requestHeaders: headerDifferences(a.exchange.request.headers, b.exchange.request.headers, secretNames),
    secrets: compareSecrets(a.exchange, b.exchange),
    requestBody: compareBodies(a.requestText, b.requestText),
    response: {
      a: a.exchange.response?.status ?? null,
      b: b.exchange.response?.status ?? null,
      same: a.exchange.response?.status === b.exchange.response?.status,
    },
    responseHeaders: headerDifferences(a.exchange.response?.headers ?? [], b.exchange.response?.headers ?? []),
    responseBody: compareBodies(a.responseText, b.responseText),
  };
}

function client(e: Exchange): string {
  const agent = e.request.headers.find(([n]) => n.toLowerCase() === 'user-agent')?.[1];
  return agent ? agent.split(' ')[0] : serverText('en', 'advice.unnamedClient');
}

// Secrets are named by header, or `?name` for a query parameter (proxy/recorder.ts).
const KEY_NAMES: readonly string[] = [...KEY_HEADERS, ...KEY_PARAMS.map((param) => `?${param}`)];

function keyState(e: Exchange): string {
  return (e.request.secrets ?? []).some((s) => KEY_NAMES.includes(s.name.toLowerCase()))
    ? serverText('en', 'advice.withKey')
    : serverText('en', 'advice.withNoKey');
}

/**
 * One sentence for a failed call: how the working one (b) differs from it (a). "The working call
 * #5 from CherryStudio/1.5 went to /v1/chat/completions with a key; this one went to
 * /v1/chat/completions/responses with no key." Said in English from the catalogue's
 * server.advice (rendered in the reader's language where it is shown: i18n/stored-text.ts).
 */
export function differenceLine(failed: Exchange, working: Exchange, comparison: Comparison): string {
  const keyVerdict = comparison.secrets.find((s) => KEY_NAMES.includes(s.name))?.verdict;
  const failedKey =
    keyVerdict === 'same key'
      ? serverText('en', 'advice.withSameKey')
      : keyVerdict === 'different key'
        ? serverText('en', 'advice.withDifferentKey')
        : keyState(failed);
  const model =
    comparison.requestBody.kind === 'json'
      ? comparison.requestBody.differences.find((d) => d.path === '$.model')
      : undefined;
  const params = {
    id: working.id,
    client: client(working),
    path: working.request.path.split('?')[0],
    key: keyState(working),
    failedClient: client(failed),
    failedPath: failed.request.path.split('?')[0],
    failedKey,
  };
  return model
    ? serverText('en', 'advice.compareLineModels', {
        ...params,
        model: modelNamed(model.b, working),
        failedModel: modelNamed(model.a, failed),
      })
    : serverText('en', 'advice.compareLine', params);
}

/** The model a body names, else the one the call was understood to ask for (Gemini names it in the path). */
function modelNamed(inBody: unknown, e: Exchange): string {
  const model = inBody ?? e.call?.model;
  return model === undefined || model === null ? serverText('en', 'stored.none') : JSON.stringify(model);
}
