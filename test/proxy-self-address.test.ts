// proxy/self-address.ts: whether a request would reach wirelog itself, by address and port,
// however the host is spelled. The spellings come from the resolver's own rules: inet_aton(3)
// takes an IPv4 address as 1 to 4 parts, each decimal, octal (leading 0) or hex (0x), the last
// part filling the bytes the others leave (127.1 is 127.0.0.1); an IPv6 literal may be bracketed,
// carry a zone (RFC 6874), compress zeros, and carry an IPv4 address (RFC 4291 2.5.5: mapped
// ::ffff:a.b.c.d and the old compatible ::a.b.c.d); `localhost` and any name under it are this
// machine whatever a resolver says (RFC 6761 6.3); 0.0.0.0/8 and :: are "this host" (RFC 1122
// 3.2.1.3, RFC 4291 2.5.2).
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  checkSelf,
  ipv4Bytes,
  isLocalhostName,
  isThisMachine,
  literalAddress,
  resolverOf,
  type Resolve,
} from '../proxy/self-address.ts';

describe('IPv4 addresses as inet_aton reads them', () => {
  it.each([
    ['127.0.0.1', [127, 0, 0, 1]],
    ['127.1', [127, 0, 0, 1]],
    ['127.0.1', [127, 0, 0, 1]],
    ['127.65535', [127, 0, 255, 255]],
    ['10.16777215', [10, 255, 255, 255]],
    ['2130706433', [127, 0, 0, 1]],
    ['0x7f000001', [127, 0, 0, 1]],
    ['0X7F.1', [127, 0, 0, 1]],
    ['0177.0.0.01', [127, 0, 0, 1]],
    ['0x7f.0.0.0x1', [127, 0, 0, 1]],
    ['0', [0, 0, 0, 0]],
    ['0x', [0, 0, 0, 0]],
    ['4294967295', [255, 255, 255, 255]],
  ])('%s', (text, bytes) => {
    expect(ipv4Bytes(text)).toEqual(bytes);
  });

  it.each([
    ['256.0.0.1'],
    ['127.0.0.256'],
    ['127.16777216'],
    ['127.0.65536'],
    ['4294967296'],
    ['0x100.0.0.1'],
    ['1.2.3.4.5'],
    ['08'],
    ['0x7g'],
    ['1..2'],
    [''],
    ['-1'],
    ['localhost'],
    [' 127.0.0.1'],
  ])('%s is none', (text) => {
    expect(ipv4Bytes(text)).toBeNull();
  });
});

describe('the address a host names literally', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['[::1]', '0:0:0:0:0:0:0:1'],
    ['[0:0:0:0:0:0:0:1]', '0:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['2001:DB8::1', '2001:db8:0:0:0:0:0:1'],
    ['2001:db8:0:0:1::', '2001:db8:0:0:1:0:0:0'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['[fe80::1%25eth0]', 'fe80:0:0:0:0:0:0:1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['[::FFFF:7f00:1]', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::127.0.0.1', '127.0.0.1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ])('%s is %s', (host, expected) => {
    expect(literalAddress(host)).toBe(expected);
  });

  it.each([['localhost'], ['relay.example'], ['127.0.0.1.example'], ['::g'], ['1:2:3:4:5:6:7:8:9']])(
    '%s is a name, not an address',
    (host) => {
      expect(literalAddress(host)).toBeNull();
    },
  );
});

describe('names that are this machine (RFC 6761)', () => {
  it.each([['localhost'], ['LOCALHOST'], ['localhost.'], ['api.localhost'], ['a.b.localhost..']])('%s is', (name) => {
    expect(isLocalhostName(name)).toBe(true);
  });

  it.each([['notlocalhost'], ['localhost.example'], ['localhostx'], ['local']])('%s is not', (name) => {
    expect(isLocalhostName(name)).toBe(false);
  });
});

describe('addresses that are this machine', () => {
  const interfaces = new Set(['192.168.1.9', 'fe80:0:0:0:0:0:0:9']);

  it.each([
    ['127.0.0.1'],
    ['127.255.255.254'],
    ['0.0.0.0'],
    ['0.1.2.3'],
    ['::1'],
    ['::'],
    ['::ffff:127.0.0.1'],
    ['0x7f.1'],
    ['192.168.1.9'],
    ['fe80::9'],
  ])('%s is', (address) => {
    expect(isThisMachine(address, interfaces)).toBe(true);
  });

  it.each([['192.168.1.10'], ['10.0.0.1'], ['2001:db8::1'], ['fe80::8'], ['relay.example']])('%s is not', (address) => {
    expect(isThisMachine(address, interfaces)).toBe(false);
  });
});

describe('whether host:port is one of wirelog’s own ports', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const OWN = [8899, 8898];
  /** A resolver that must not be asked. */
  const unasked: Resolve = () => Promise.reject(new Error('the resolver was asked'));
  const answering =
    (...addresses: string[]): Resolve =>
    () =>
      Promise.resolve(addresses);

  it('another port is not, and no name is resolved to say so', async () => {
    expect(await checkSelf('127.0.0.1', 443, OWN, unasked)).toEqual({ self: false });
    expect(await checkSelf('relay.example', 443, OWN, unasked)).toEqual({ self: false });
  });

  it.each([['127.0.0.1'], ['127.1'], ['2130706433'], ['[::1]'], ['::ffff:127.0.0.1'], ['0.0.0.0'], ['127.0.0.1.']])(
    'an own port at %s is, by its address alone',
    async (host) => {
      const answer = await checkSelf(host, 8899, OWN, unasked);
      expect(answer.self).toBe(true);
    },
  );

  it('an own port at a literal address elsewhere is not', async () => {
    expect(await checkSelf('203.0.113.5', 8899, OWN, unasked)).toEqual({ self: false });
  });

  it('localhost, and names under it, are without asking the resolver', async () => {
    for (const host of ['localhost', 'LOCALHOST.', 'wirelog.localhost']) {
      expect(await checkSelf(host, 8898, OWN, unasked)).toEqual({ self: true, why: `${host} is this machine` });
    }
  });

  it('a name that resolves to this machine is, naming the address', async () => {
    expect(await checkSelf('rebind.example', 8899, OWN, answering('203.0.113.5', '127.0.0.1'))).toEqual({
      self: true,
      why: 'rebind.example resolves to 127.0.0.1, this machine',
    });
  });

  it('a name that resolves elsewhere is not, and the address it resolved to is the one to connect to', async () => {
    expect(await checkSelf('relay.example', 8899, OWN, answering('203.0.113.5', '203.0.113.6'))).toEqual({
      self: false,
      address: '203.0.113.5',
    });
  });

  it('a name that cannot be resolved is refused: it is no proof of elsewhere', async () => {
    const failing: Resolve = () => Promise.reject(Object.assign(new Error('nope'), { code: 'ENOTFOUND' }));
    expect(await checkSelf('gone.example', 8899, OWN, failing)).toEqual({
      self: true,
      why: 'gone.example could not be resolved to tell whether it is this machine (ENOTFOUND)',
    });
  });

  it('a resolver that never answers is given up on after 10 s, and refused', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const answer = checkSelf('slow.example', 8899, OWN, () => new Promise<string[]>(() => undefined));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await answer).toEqual({
      self: true,
      why: 'slow.example could not be resolved to tell whether it is this machine (resolving took too long)',
    });
  });
});

describe('the resolver given for upstream connections', () => {
  it('is asked for every address of the name', async () => {
    const asked: unknown[] = [];
    const lookup = ((host: string, options: unknown, done: (err: null, addresses: unknown) => void) => {
      asked.push([host, options]);
      done(null, [
        { address: '203.0.113.5', family: 4 },
        { address: '2001:db8::5', family: 6 },
      ]);
    }) as unknown as Parameters<typeof resolverOf>[0];
    expect(await resolverOf(lookup)('relay.example')).toEqual(['203.0.113.5', '2001:db8::5']);
    expect(asked).toEqual([['relay.example', { all: true }]]);
  });

  it('one that answers a single address, or fails, is read as well', async () => {
    const single = ((_host: string, _options: unknown, done: (err: null, address: string, family: number) => void) =>
      done(null, '127.0.0.1', 4)) as unknown as Parameters<typeof resolverOf>[0];
    expect(await resolverOf(single)('x.example')).toEqual(['127.0.0.1']);
    const failing = ((_host: string, _options: unknown, done: (err: Error) => void) =>
      done(Object.assign(new Error('no'), { code: 'ENOTFOUND' }))) as unknown as Parameters<typeof resolverOf>[0];
    await expect(resolverOf(failing)('x.example')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
