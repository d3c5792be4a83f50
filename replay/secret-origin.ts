// Where a remembered secret may go: back to the origin (scheme, host, port) it was captured for,
// elsewhere only when the user named that very host and port, and never from HTTPS down to plain
// HTTP. The one rule every replay path asks (replay/secret-guard.ts applies it); pure and free of
// Node modules, so the viewer's editor asks the same function before it offers a confirmation.

export interface Origin {
  /** ws and wss are the same origins as http and https. */
  scheme: 'http' | 'https';
  /** Lowercased, IDN in its ASCII (punycode) form, no trailing dot, IPv6 without brackets. */
  host: string;
  port: number;
}

/** A host and port the user named to let secrets go there (`--send-secrets-to HOST[:PORT]`). */
export interface Consent {
  host: string;
  port: number;
}

export type SecretVerdict = { send: true } | { send: false; reason: 'downgrade' | 'other-origin' };

function defaultPort(scheme: Origin['scheme']): number {
  return scheme === 'https' ? 443 : 80;
}

/**
 * One spelling per host: what the WHATWG URL parser makes of it (lowercase, punycode, IPv4 in
 * dotted form, IPv6 compressed), without trailing dots (`example.com.` is `example.com`).
 */
export function canonicalHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  const literal = bare.includes(':') ? `[${bare}]` : bare;
  let parsed: string;
  try {
    parsed = new URL(`http://${literal}/`).hostname;
  } catch {
    // Not a host a URL could name: compared as written, lowercased.
    parsed = bare.toLowerCase();
  }
  return parsed.replace(/^\[|\]$/g, '').replace(/\.+$/, '');
}

function schemeOf(scheme: string): Origin['scheme'] | null {
  const s = scheme.toLowerCase().replace(/:$/, '');
  if (s === 'https' || s === 'wss') return 'https';
  if (s === 'http' || s === 'ws') return 'http';
  return null;
}

/** The origin of a request stored as scheme, host and port (an exchange's `request`). */
export function originOf(scheme: string, host: string, port?: number | null): Origin {
  const s = schemeOf(scheme);
  if (!s) throw new Error(`${scheme} is not http, https, ws or wss: it has no origin a secret may go to`);
  return { scheme: s, host: canonicalHost(host), port: port || defaultPort(s) };
}

/** The origin a URL sends to. */
export function urlOrigin(url: URL): Origin {
  const s = schemeOf(url.protocol) ?? 'http';
  return originOf(s, url.hostname, url.port ? Number(url.port) : null);
}

export function sameOrigin(a: Origin, b: Origin): boolean {
  return a.scheme === b.scheme && a.host === b.host && a.port === b.port;
}

/** `host:port`, IPv6 in brackets: how an origin is named to allow it. */
export function hostPort(o: { host: string; port: number }): string {
  return `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
}

/** `https://host:port`, the port always written so that two origins never read alike. */
export function originText(o: Origin): string {
  return `${o.scheme}://${hostPort(o)}`;
}

/**
 * `HOST[:PORT]` as the user gave it, the port defaulting to the target's scheme's default; null
 * when it is not a host and port (a URL, a path, a port out of range).
 */
export function parseConsent(text: string, target: Origin): Consent | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:/?#@[\]\\]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) return null;
  const port = m[3] === undefined ? defaultPort(target.scheme) : Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: canonicalHost(m[1] ?? m[2]), port };
}

/**
 * The rule: may a secret captured for `captured` be sent to `target`? Never from HTTPS to plain
 * HTTP (not even with consent: the promise says never, and a key in clear text cannot be taken
 * back); to its own origin, yes; to any other only with consent naming exactly the target's host
 * and port.
 */
export function secretMayGo(captured: Origin, target: Origin, consent: Consent | null): SecretVerdict {
  if (captured.scheme === 'https' && target.scheme === 'http') return { send: false, reason: 'downgrade' };
  if (sameOrigin(captured, target)) return { send: true };
  if (consent && consent.host === target.host && consent.port === target.port) return { send: true };
  return { send: false, reason: 'other-origin' };
}
