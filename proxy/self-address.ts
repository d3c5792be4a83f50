import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';

/**
 * Whether a request would reach wirelog itself (its proxy or viewer port on this machine),
 * decided by address and port, never by how the host was spelled: `LOCALHOST`, `127.1`,
 * `0x7f000001`, `2130706433`, `[::ffff:127.0.0.1]`, `localhost.`, or any name that resolves to
 * this machine. A request that would is a loop (the gateway going round itself) or a way for a
 * page to read the viewer's API through the gateway; both are refused at the first hop.
 */

/** The four bytes of an IPv4 address in any form `inet_aton` takes (what the resolver connects to), or null. */
export function ipv4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9]\d*)$/.test(part)) value = Number(part);
    else return null;
    values.push(value);
  }
  // The last part fills the bytes the others left: 127.1 is 127.0.0.1, 2130706433 is all four.
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return null;
  const bytes = [...values];
  for (let i = 4 - values.length - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes;
}

/** The address a host names literally, written canonically (`127.0.0.1`, `::1`), or null for a name. */
export function literalAddress(host: string): string | null {
  const bare = host.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (net.isIPv6(bare)) return canonicalIpv6(bare);
  // A resolver takes `127.0.0.1.` as the address too.
  const v4 = ipv4Bytes(bare.replace(/\.+$/, ''));
  return v4 ? v4.join('.') : null;
}

/**
 * An IPv6 address as its eight groups in lowercase hex (`0:0:0:0:0:0:0:1`), or, when it carries an
 * IPv4 address (mapped `::ffff:127.0.0.1`, `::ffff:7f00:1`, or the old compatible `::127.0.0.1`),
 * that IPv4 address: the kernel connects those to the IPv4 one.
 */
function canonicalIpv6(address: string): string {
  let lower = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) {
    const b = dotted[1].split('.').map(Number);
    lower = `${lower.slice(0, -dotted[1].length)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = lower.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = (
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
  ).map((g) => parseInt(g, 16));
  const v4Inside =
    groups.slice(0, 5).every((g) => g === 0) &&
    (groups[5] === 0xffff || (groups[5] === 0 && (groups[6] !== 0 || groups[7] > 1)));
  if (v4Inside) return [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join('.');
  return groups.map((g) => g.toString(16)).join(':');
}

/** Names that always mean this machine (RFC 6761), whatever a resolver says: `localhost`, `x.localhost`, with a trailing dot. */
export function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.+$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/** Every address that reaches this machine: loopback, "this host" (0.0.0.0/8, ::), and each interface's own. */
export function isThisMachine(address: string, interfaces: ReadonlySet<string> = interfaceAddresses()): boolean {
  const canonical = literalAddress(address);
  if (canonical === null) return false;
  if (net.isIPv4(canonical))
    return canonical.startsWith('127.') || canonical.startsWith('0.') || interfaces.has(canonical);
  return canonical === '0:0:0:0:0:0:0:1' || canonical === '0:0:0:0:0:0:0:0' || interfaces.has(canonical);
}

function interfaceAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) {
    for (const entry of list ?? []) {
      const canonical = literalAddress(entry.address);
      if (canonical) out.add(canonical);
    }
  }
  return out;
}

export type Resolve = (host: string) => Promise<string[]>;

/** The system resolver, or the one the proxy was given for upstream connections. */
export function resolverOf(lookup?: net.LookupFunction): Resolve {
  return (host) =>
    new Promise((resolve, reject) => {
      const done = (err: NodeJS.ErrnoException | null, addresses: string | dns.LookupAddress[]) => {
        if (err) return reject(err);
        resolve(typeof addresses === 'string' ? [addresses] : addresses.map((a) => a.address));
      };
      if (lookup) lookup(host, { all: true }, done as never);
      else dns.lookup(host, { all: true, verbatim: true }, done);
    });
}

/** How long a name may take to resolve before the check gives up and refuses (it cannot tell). */
const RESOLVE_TIMEOUT_MS = 10_000;

export type SelfCheck = { self: false; address?: string } | { self: true; why: string };

/**
 * Whether host:port is one of wirelog's own ports on this machine. Only a port of ours needs the
 * resolver; then the address it resolved to is returned so the connection goes there, and a
 * name that answers differently the second time (DNS rebinding) cannot slip past.
 */
export async function checkSelf(
  host: string,
  port: number,
  ownPorts: readonly number[],
  resolve: Resolve,
): Promise<SelfCheck> {
  if (!ownPorts.includes(port)) return { self: false };
  const literal = literalAddress(host);
  if (literal !== null)
    return isThisMachine(literal) ? { self: true, why: `${literal}:${port} is this machine` } : { self: false };
  if (isLocalhostName(host)) return { self: true, why: `${host} is this machine` };
  let addresses: string[];
  try {
    addresses = await withTimeout(resolve(host), RESOLVE_TIMEOUT_MS);
  } catch (err) {
    // Unresolvable now is no proof of elsewhere: the connection would resolve it again.
    return {
      self: true,
      why: `${host} could not be resolved to tell whether it is this machine (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    };
  }
  const local = addresses.find((a) => isThisMachine(a));
  if (local) return { self: true, why: `${host} resolves to ${local}, this machine` };
  return { self: false, address: addresses[0] };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error('resolving took too long')), ms)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
