// Takes out of a replay, just before it is sent, every captured secret the rule
// (replay/secret-origin.ts) does not let go to the replay's target: a key restored from memory,
// a key kept in the database (--keep-secrets, an imported HAR), its masked stand-in (which still
// shows its last characters), a working call's key a fix borrowed. Found by value wherever it
// is, not by where it was captured: a key moved into another header, the URL or the body is
// still that key.
import { decodeBody } from '../db/decode.ts';
import type { Header } from '../model/exchange.ts';
import { headerValue } from '../model/exchange.ts';
import { isSecretName } from '../model/secrets.ts';
import { ReplayRefused } from './refused.ts';
import { serverText } from '../i18n/stored-text.ts';
import { hostPort, originText, secretMayGo, type Consent, type Origin } from './secret-origin.ts';
import { percentDecoded } from '../model/percent.ts';

/** A secret as captured: its real value (or what storage kept of it) and the origin it was sent to. */
export interface CapturedSecret {
  /** Where it was captured (a header's value is looked at in parts: its credential after "Bearer", each cookie). */
  where: 'header' | 'url' | 'body';
  /** A header name, `?param`, `body:field`. */
  name: string;
  value: string;
  origin: Origin;
}

/** A secret left out of a replay, said to the user with the way to send it, if there is one. */
export interface WithheldSecret {
  /** Where it would have gone: a header name, `?param`, `URL path`, `body:field`, `message:field`. */
  name: string;
  /** The origin it was captured for, and the one the replay went to (`https://host:port`). */
  capturedFor: string;
  target: string;
  reason: 'downgrade' | 'other-origin';
  /** `host:port` to confirm (sendSecretsTo, --send-secrets-to) to send it; null for a downgrade, which nothing allows. */
  allowWith: string | null;
  /** One line saying all of the above. */
  message: string;
}

export interface OutgoingRequest {
  url: URL;
  headers: Header[];
  body: Buffer | null;
  /** A WebSocket replay's messages from the client, in order. */
  messages: Buffer[];
}

// Shorter values are too common to hunt for anywhere (a 3-character secret would match words):
// they are taken out only where a secret of the same name sits.
const FOUND_ANYWHERE = 8;
const WITHHELD_TEXT = '****';

function decoded(text: string): string {
  return percentDecoded(text, true);
}

/** The secret parts of a header value: the whole value, the credential after its scheme word, each cookie's value. */
function headerPieces(name: string, value: string): string[] {
  const pieces = [value];
  if (name.toLowerCase() === 'cookie') {
    for (const pair of value.split(';')) {
      const eq = pair.indexOf('=');
      pieces.push((eq < 0 ? pair : pair.slice(eq + 1)).trim());
    }
  } else {
    const scheme = /^[A-Za-z][\w-]* +(\S.*)$/.exec(value);
    if (scheme) pieces.push(scheme[1]);
  }
  return pieces.filter((p) => p.length > 0);
}

/** Secret `name=value` pairs of a query or of matrix parameters, and the password of an absolute-form path. */
function paramSecrets(pathAndQuery: string, origin: Origin): CapturedSecret[] {
  const found: CapturedSecret[] = [];
  const userInfo = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:([^/?#@]*)@/i.exec(pathAndQuery);
  if (userInfo?.[1]) found.push({ where: 'url', name: 'URL password', value: decoded(userInfo[1]), origin });
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const parts = [
    ...path.split('/').flatMap((segment) => segment.split(';').slice(1)),
    ...(q < 0 ? [] : pathAndQuery.slice(q + 1).split('&')),
  ];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = decoded(part.slice(0, eq));
    const value = decoded(part.slice(eq + 1));
    if (value && isSecretName(name)) found.push({ where: 'url', name: `?${name}`, value, origin });
  }
  return found;
}

/** Every string under a secret-named member of a JSON document; iterative, as documents can nest deeply. */
function jsonSecrets(text: string, prefix: string, origin: Origin): CapturedSecret[] {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return [];
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return [];
  }
  const found: CapturedSecret[] = [];
  const stack: { node: unknown; secret: string | null }[] = [{ node: root, secret: null }];
  while (stack.length) {
    const { node, secret } = stack.pop()!;
    if (typeof node === 'string') {
      if (secret && node) found.push({ where: 'body', name: `${prefix}:${secret}`, value: node, origin });
    } else if (Array.isArray(node)) {
      for (const item of node) stack.push({ node: item, secret });
    } else if (node && typeof node === 'object') {
      for (const [name, child] of Object.entries(node))
        stack.push({ node: child, secret: secret ?? (isSecretName(name) ? name : null) });
    }
  }
  return found;
}

function formSecrets(text: string, prefix: string, origin: Origin): CapturedSecret[] {
  return paramSecrets(`?${text}`, origin).map((s) => ({
    ...s,
    where: 'body' as const,
    name: `${prefix}:${s.name.slice(1)}`,
  }));
}

/** The secrets of a body (JSON members, form fields), decoded from its Content-Encoding first. */
export function bodySecrets(
  raw: Buffer,
  headers: Header[],
  encoding: string,
  prefix: string,
  origin: Origin,
): CapturedSecret[] {
  if (raw.length === 0) return [];
  const { data, error } = decodeBody(raw, encoding);
  if (error) return [];
  const text = data.toString('utf8');
  if (/x-www-form-urlencoded/i.test(headerValue(headers, 'content-type') ?? ''))
    return formSecrets(text, prefix, origin);
  return jsonSecrets(text, prefix, origin);
}

/** The secrets of a request as it was captured or stored: secret-named headers, URL parameters, body members. */
export function requestSecrets(
  request: { headers: Header[]; path: string | null; body: Buffer | null; bodyEncoding: string },
  origin: Origin,
): CapturedSecret[] {
  const found: CapturedSecret[] = request.headers
    .filter(([name]) => isSecretName(name))
    .map(([name, value]) => ({ where: 'header' as const, name, value, origin }));
  if (request.path) found.push(...paramSecrets(request.path, origin));
  if (request.body) found.push(...bodySecrets(request.body, request.headers, request.bodyEncoding, 'body', origin));
  return found;
}

interface Needle {
  secret: CapturedSecret;
  /** The verdict's reason, the report ready to give. */
  withheld: Omit<WithheldSecret, 'name' | 'message'>;
  /** Values hunted everywhere, and the short ones matched only where a secret of the same name sits. */
  anywhere: string[];
  pieces: string[];
}

function needleOf(secret: CapturedSecret, withheld: Needle['withheld']): Needle {
  const pieces = secret.where === 'header' ? headerPieces(secret.name, secret.value) : [secret.value];
  return { secret, withheld, pieces, anywhere: pieces.filter((p) => p.length >= FOUND_ANYWHERE) };
}

/** The spellings a value takes in a body: as it is, inside a JSON string, percent-encoded, form-encoded. */
function spellings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const uri = encodeURIComponent(value);
  return [...new Set([value, json, uri, uri.replace(/%20/g, '+')])];
}

function replaceAll(data: Buffer, from: string, to: string): Buffer | null {
  const needle = Buffer.from(from);
  let at = data.indexOf(needle);
  if (at < 0 || needle.length === 0) return null;
  const replacement = Buffer.from(to);
  const parts: Buffer[] = [];
  let start = 0;
  while (at >= 0) {
    parts.push(data.subarray(start, at), replacement);
    start = at + needle.length;
    at = data.indexOf(needle, start);
  }
  parts.push(data.subarray(start));
  return Buffer.concat(parts);
}

/** `data` with every spelling of the needle's values replaced; null when none was there. */
function scrubbed(data: Buffer, needle: Needle): Buffer | null {
  let out: Buffer | null = null;
  for (const value of needle.anywhere) {
    for (const spelling of spellings(value)) out = replaceAll(out ?? data, spelling, WITHHELD_TEXT) ?? out;
  }
  // A short value only as a whole JSON string: "api_key": "abc". A secret masked whole ("****")
  // carries nothing of the key, and is what replaces one: not hunted in text.
  for (const value of needle.pieces.filter((p) => p.length < FOUND_ANYWHERE && /[^*]/.test(p)))
    out = replaceAll(out ?? data, JSON.stringify(value), JSON.stringify(WITHHELD_TEXT)) ?? out;
  return out;
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function inHeader(needle: Needle, name: string, value: string): boolean {
  if (needle.anywhere.some((p) => value.includes(p))) return true;
  return sameName(needle.secret.name, name) && headerPieces(name, value).some((p) => needle.pieces.includes(p));
}

function inParam(needle: Needle, name: string, value: string): boolean {
  if (needle.anywhere.some((p) => value.includes(p))) return true;
  return sameName(needle.secret.name, `?${name}`) && needle.pieces.includes(value);
}

function messageOf(name: string, w: Needle['withheld']): string {
  if (w.reason === 'downgrade')
    return serverText('en', 'api.withheldDowngrade', { name, capturedFor: w.capturedFor, target: w.target });
  return serverText('en', 'api.withheldOrigin', {
    name,
    capturedFor: w.capturedFor,
    target: w.target,
    allowWith: w.allowWith ?? '',
  });
}

/**
 * The request without the secrets that may not go to `target`, and what was taken out.
 * A header holding one is dropped (the other origin sees a call without that credential, not a
 * masked stand-in that still carries the key's last characters); a URL parameter holding one is
 * dropped; in a path, a body or a message the value becomes `****` (their shape must stay).
 */
export function withholdSecrets(
  request: OutgoingRequest,
  secrets: CapturedSecret[],
  target: Origin,
  consent: Consent | null,
): { request: OutgoingRequest; withheld: WithheldSecret[] } {
  const needles: Needle[] = [];
  for (const secret of secrets) {
    const verdict = secretMayGo(secret.origin, target, consent);
    if (verdict.send) continue;
    const capturedFor = originText(secret.origin);
    needles.push(
      needleOf(secret, {
        capturedFor,
        target: originText(target),
        reason: verdict.reason,
        allowWith: verdict.reason === 'downgrade' ? null : hostPort(target),
      }),
    );
  }
  if (needles.length === 0) return { request, withheld: [] };
  const withheld = new Map<string, WithheldSecret>();
  const note = (name: string, needle: Needle) => {
    const key = `${name.toLowerCase()} ${needle.withheld.capturedFor}`;
    if (!withheld.has(key)) withheld.set(key, { name, ...needle.withheld, message: messageOf(name, needle.withheld) });
  };

  const headers = request.headers.filter(([name, value]) => {
    const needle = needles.find((n) => inHeader(n, name, value));
    if (needle) note(name, needle);
    return !needle;
  });

  const url = new URL(request.url);
  if (url.search) {
    const kept = url.search
      .slice(1)
      .split('&')
      .filter((part) => {
        const eq = part.indexOf('=');
        const name = decoded(eq < 0 ? part : part.slice(0, eq));
        const value = eq < 0 ? '' : decoded(part.slice(eq + 1));
        const needle = needles.find((n) => inParam(n, name, value));
        if (needle) note(`?${name}`, needle);
        return !needle;
      });
    url.search = kept.length ? `?${kept.join('&')}` : '';
  }
  for (const needle of needles) {
    const path = scrubbed(Buffer.from(url.pathname), needle);
    if (path) {
      url.pathname = path.toString();
      note('URL path', needle);
    }
  }

  let body = request.body;
  let outHeaders = headers;
  if (body?.length) {
    const encoding = headerValue(headers, 'content-encoding') ?? '';
    const { data, error } = decodeBody(body, encoding);
    if (error) {
      const first = needles[0].withheld;
      throw new ReplayRefused(
        serverText('en', 'api.withheldEncodedBody', {
          encoding,
          error,
          capturedFor: first.capturedFor,
          target: first.target,
        }),
      );
    }
    let clean: Buffer | null = null;
    for (const needle of needles) {
      const next = scrubbed(clean ?? data, needle);
      if (next) {
        clean = next;
        note(
          needle.secret.where === 'body'
            ? needle.secret.name
            : serverText('en', 'api.withheldBodyField', { name: needle.secret.name }),
          needle,
        );
      }
    }
    if (clean) {
      body = clean;
      // It was decoded to be cleaned: it goes out as identity.
      if (data !== request.body) outHeaders = headers.filter(([name]) => name.toLowerCase() !== 'content-encoding');
    }
  }

  const messages = request.messages.map((payload) => {
    let out = payload;
    for (const needle of needles) {
      const next = scrubbed(out, needle);
      if (next) {
        out = next;
        note(`WebSocket message (${needle.secret.name})`, needle);
      }
    }
    return out;
  });

  return { request: { url, headers: outHeaders, body, messages }, withheld: [...withheld.values()] };
}
