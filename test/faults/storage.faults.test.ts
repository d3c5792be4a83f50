import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, lockDatabase, tempDir } from '../support/harness.ts';
import { loadReply, postLoad, startHostileUpstream, type HostileUpstream } from './hostile-upstream.ts';
import { recordFault, storedOnceEach } from './ledger.ts';
import { startSubject, type Subject } from './subject.ts';

// A full or read-only disk, for real: a small tmpfs of our own (needs root, as CI runs).
let mountPoint: string | null = null;
let mountError = '';
try {
  const dir = tempDir('wirelog-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', dir], { stdio: 'pipe' });
  mountPoint = dir;
} catch (err) {
  mountError = (err as Error).message.split('\n')[0];
}

let up: HostileUpstream;
let subject: Subject;

beforeAll(async () => {
  up = await startHostileUpstream();
  if (mountPoint) subject = await startSubject(['--insecure-upstream'], path.join(mountPoint, 'data'));
}, 60_000);

afterAll(async () => {
  await subject?.stop();
  await up?.close();
  if (mountPoint) execFileSync('umount', ['-l', mountPoint]);
});

interface Sent {
  token: string;
  body: Buffer;
  reply: string;
}

async function send(token: string): Promise<Sent> {
  const body = randomBytes(48 * 1024);
  const { status: code, reply } = await postLoad(up.httpsUrl, subject.agent(), token, body);
  expect(code).toBe(200);
  expect(reply).toBe(loadReply(token, body));
  return { token, body, reply };
}

async function status(): Promise<{ storageError: string | null }> {
  return (await (await fetch(`${subject.process.viewerUrl}/api/status`)).json()) as { storageError: string | null };
}

/** Sends until wirelog says storage fails (the WAL may have room left at first), then a few more. */
async function sendThroughFailure(prefix: string): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let i = 0; i < 400 && (await status()).storageError === null; i++) sent.push(await send(`${prefix}-${i}`));
  expect((await status()).storageError).toMatch(/storing captures failed: .*retrying; traffic still flows/);
  for (let i = 0; i < 20; i++) sent.push(await send(`${prefix}-after-${i}`));
  return sent;
}

/** Every sent exchange stored whole, once space is back: bodies compared byte for byte. */
async function storedOf(sent: Sent[], prefix: string): Promise<number> {
  await eventually(async () => (await status()).storageError === null, 'storage to work again', 15_000);
  const stored = await subject.settledWhere((e) => e.request.path.startsWith(`/load?t=${prefix}-`), sent.length);
  const reader = subject.reader();
  const tokenOf = (e: { request: { path: string } }) => new URL(e.request.path, 'http://x').searchParams.get('t');
  const bySent = new Map(sent.map((s) => [s.token, s]));
  const good = storedOnceEach(stored, [...bySent.keys()], tokenOf, (e) => {
    const s = bySent.get(tokenOf(e)!)!;
    return e.state === 'complete' && !!reader.body(e.id, 'request')?.equals(s.body) && reader.body(e.id, 'response')?.toString() === s.reply;
  });
  return good;
}

describe.skipIf(!mountPoint)('the database becomes unwritable: traffic flows, the failure shows, capture resumes', () => {
  it('a full disk', async () => {
    await send('warmup');
    // The viewer hears it live, as well as on the console.
    const live = await fetch(`${subject.process.viewerUrl}/api/live`);
    const liveReader = live.body!.getReader();
    const heard = (async () => {
      let text = '';
      while (!/event: status\ndata: \{[^\n]*storing captures failed/.test(text)) {
        const { value, done } = await liveReader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await liveReader.cancel();
      return text;
    })();
    const ballast = path.join(mountPoint!, 'ballast');
    const fd = fs.openSync(ballast, 'w');
    try {
      const mb = Buffer.alloc(1024 * 1024);
      for (;;) fs.writeSync(fd, mb);
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    } finally {
      fs.closeSync(fd);
    }
    const sent = await sendThroughFailure('full');
    expect(subject.process.output()).toMatch(/storing captures failed: database or disk is full/);
    expect(await heard).toMatch(/event: status\ndata: \{[^\n]*"storageError":"storing captures failed: database or disk is full/);
    fs.rmSync(ballast);
    const stored = await storedOf(sent, 'full');
    expect(subject.process.output()).toContain('storing captures works again');
    recordFault({ scenario: 'storage: disk full, then space returns', sent: sent.length, stored, crashes: await subject.crashes(up.httpsUrl) });
    expect(stored).toBe(sent.length);
  });

  it('a database another program holds locked', async () => {
    const unlock = lockDatabase(subject.dataDir);
    let sent: Sent[];
    try {
      sent = await sendThroughFailure('locked');
    } finally {
      unlock();
    }
    const stored = await storedOf(sent, 'locked');
    recordFault({ scenario: 'storage: database locked, then released', sent: sent.length, stored, crashes: await subject.crashes(up.httpsUrl) });
    expect(stored).toBe(sent.length);
  }, 60_000);
});

describe.runIf(!mountPoint)('the database becomes unwritable', () => {
  it('is not tested here: mounting a tmpfs needs root', (ctx) => {
    recordFault({ scenario: 'storage: disk full, locked database', sent: 0, stored: 0, crashes: 0, note: `needs root to mount a tmpfs (${mountError})`, skipped: true });
    ctx.skip();
  });
});
