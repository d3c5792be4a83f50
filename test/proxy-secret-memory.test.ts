// proxy/secret-memory.ts: the real secrets of recent requests, in memory only, for replaying a
// masked capture. Its promises: bounded by count, age and bytes, the oldest going first; an
// exchange's secrets are added to, not replaced, as masking finds more; a body too large to keep
// is not kept but the rest is. The fingerprint of a secret is keyed (HMAC-SHA256, RFC 2104) by a
// key kept in the data dir: the same secret shows the same fingerprint in one data dir and a
// different one in another; the key file is the owner's only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprinter, SecretMemory, type SecretMemoryLimits } from '../proxy/secret-memory.ts';

const LIMITS: SecretMemoryLimits = { maxEntries: 3, maxAgeMs: 1000, maxBytes: 400 };

function memory(limits: Partial<SecretMemoryLimits> = {}) {
  const clock = { now: 0 };
  return { clock, secrets: new SecretMemory({ ...LIMITS, ...limits }, () => clock.now) };
}

describe('what is remembered', () => {
  it('headers, path and body come back as they were sent', () => {
    const { secrets } = memory();
    const body = Buffer.from('{"api_key":"sk-1"}');
    secrets.remember('a', { headers: [['Authorization', 'Bearer sk-1']], path: '/v1?key=AIza1', body });
    expect(secrets.recall('a')).toEqual({ headers: [['Authorization', 'Bearer sk-1']], path: '/v1?key=AIza1', body });
  });

  it('an unknown exchange has nothing', () => {
    expect(memory().secrets.recall('nope')).toBeNull();
  });

  it("what masking finds later is added to the exchange's secrets, not put in their place", () => {
    const { secrets } = memory();
    secrets.remember('a', { headers: [['Authorization', 'Bearer sk-1']], path: '/v1?key=1' });
    secrets.remember('a', { headers: [['X-Api-Key', 'k2']], body: Buffer.from('b') });
    expect(secrets.recall('a')).toEqual({
      headers: [
        ['Authorization', 'Bearer sk-1'],
        ['X-Api-Key', 'k2'],
      ],
      path: '/v1?key=1',
      body: Buffer.from('b'),
    });
    expect(secrets.size).toBe(1);
  });

  it('a body over a quarter of the byte bound is not kept; its headers and path are', () => {
    const { secrets } = memory();
    secrets.remember('a', { headers: [['Authorization', 'k']], path: '/p', body: Buffer.alloc(101) });
    expect(secrets.recall('a')).toEqual({ headers: [['Authorization', 'k']], path: '/p', body: undefined });
  });
});

describe('its bounds', () => {
  it('past the count, the oldest goes first', () => {
    const { secrets } = memory();
    for (const uid of ['a', 'b', 'c', 'd']) secrets.remember(uid, { headers: [['K', uid]] });
    expect([secrets.size, secrets.recall('a'), secrets.recall('d')?.headers]).toEqual([3, null, [['K', 'd']]]);
  });

  it('an exchange remembered again is the newest again', () => {
    const { secrets } = memory();
    for (const uid of ['a', 'b', 'c']) secrets.remember(uid, { headers: [['K', uid]] });
    secrets.remember('a', { headers: [['K2', 'a']] });
    secrets.remember('d', { headers: [['K', 'd']] });
    expect(['a', 'b', 'c', 'd'].map((uid) => secrets.recall(uid) !== null)).toEqual([true, false, true, true]);
  });

  it('past its age an entry is gone; up to it, it is there', () => {
    const { clock, secrets } = memory();
    secrets.remember('a', { headers: [['K', 'a']] });
    clock.now = 500;
    secrets.remember('b', { headers: [['K', 'b']] });
    clock.now = 1000;
    expect(secrets.recall('a')).not.toBeNull();
    clock.now = 1001;
    expect([secrets.recall('a'), secrets.recall('b')?.headers]).toEqual([null, [['K', 'b']]]);
  });

  it('past the bytes, the oldest go until the rest fit', () => {
    const { secrets } = memory({ maxEntries: 100 });
    // 99 bytes of body plus a one-byte header name and value: 101 bytes each.
    for (const uid of ['a', 'b', 'c', 'd']) secrets.remember(uid, { headers: [['K', uid]], body: Buffer.alloc(99) });
    expect(['a', 'b', 'c', 'd'].map((uid) => secrets.recall(uid) !== null)).toEqual([false, true, true, true]);
  });

  it('bytes of an entry replaced are given back', () => {
    const { secrets } = memory({ maxEntries: 100 });
    for (let i = 0; i < 20; i++) secrets.remember('a', { headers: [], body: Buffer.alloc(99) });
    secrets.remember('b', { headers: [], body: Buffer.alloc(99) });
    expect([secrets.recall('a') !== null, secrets.recall('b') !== null]).toEqual([true, true]);
  });
});

describe('the newest value of a header', () => {
  it('is taken from the first exchange in the order given that sent it, its name matched in any case', () => {
    const { secrets } = memory();
    secrets.remember('old', { headers: [['Authorization', 'Bearer old']] });
    secrets.remember('new', { headers: [['authorization', 'Bearer new']] });
    secrets.remember('other', { headers: [['X-Api-Key', 'k']] });
    expect(secrets.newestHeader(['other', 'new', 'old'], 'AUTHORIZATION')).toBe('Bearer new');
    expect(secrets.newestHeader(['gone', 'old'], 'authorization')).toBe('Bearer old');
    expect(secrets.newestHeader(['other'], 'authorization')).toBeNull();
  });
});

describe('fingerprints', () => {
  const dirs: string[] = [];
  const dataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-fingerprint-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('are HMAC-SHA256 of the secret with the key in the data dir, 16 hex digits', () => {
    const dir = dataDir();
    const fingerprint = fingerprinter(dir)('sk-secret');
    const key = fs.readFileSync(path.join(dir, 'fingerprint.key'));
    expect(fingerprint).toBe(createHmac('sha256', key).update('sk-secret').digest('hex').slice(0, 16));
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the same secret shows the same fingerprint in one data dir, across restarts; another does not', () => {
    const dir = dataDir();
    const first = fingerprinter(dir);
    expect(fingerprinter(dir)('sk-1')).toBe(first('sk-1'));
    expect(first('sk-2')).not.toBe(first('sk-1'));
  });

  it('another data dir gives another fingerprint: it cannot be checked against a guess without the key', () => {
    expect(fingerprinter(dataDir())('sk-1')).not.toBe(fingerprinter(dataDir())('sk-1'));
  });

  it("the key file is the owner's only", () => {
    const dir = dataDir();
    fingerprinter(dir);
    expect(fs.statSync(path.join(dir, 'fingerprint.key')).mode & 0o777).toBe(0o600);
  });

  it('a key file too short to be a key is refused, naming the file', () => {
    const dir = dataDir();
    fs.writeFileSync(path.join(dir, 'fingerprint.key'), Buffer.alloc(8), { mode: 0o600 });
    expect(() => fingerprinter(dir)).toThrow(/fingerprint\.key/);
  });
});
