import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERRUPTED } from '../../db/capture-store.ts';
import { databasePath } from '../../db/schema.ts';
import { runCli } from '../support/cli.ts';
import { eventually, tempDir } from '../support/harness.ts';
import { loadReply, postLoad, startHostileUpstream, type HostileUpstream } from './hostile-upstream.ts';
import { recordFault } from './ledger.ts';
import { startSubject } from './subject.ts';

let up: HostileUpstream;
beforeAll(async () => {
  up = await startHostileUpstream();
});
afterAll(() => up?.close());

describe('wirelog killed with SIGKILL while streams are open', () => {
  it('restarts on a clean database: what was committed is intact, what was in flight is interrupted', async () => {
    const dataDir = tempDir('wirelog-fault-kill-');
    const first = await startSubject(['--insecure-upstream'], dataDir);
    const completed = 100;
    const streams = 50;
    const sent = new Map<string, { body: Buffer; reply: string }>();
    const agent = first.agent();
    await Promise.all(
      Array.from({ length: completed }, async (_, i) => {
        const token = `before-${i}`;
        const body = randomBytes(1000 + i * 37);
        sent.set(token, { body, reply: (await postLoad(up.httpsUrl, agent, token, body)).reply });
      }),
    );
    // Streams in flight: each has sent a few events, which are stored, when the kill comes.
    const open = await Promise.all(
      Array.from({ length: streams }, async (_, i) => {
        const res = await request(`${up.httpsUrl}/sse?id=kill-${i}&every=20`, { dispatcher: agent });
        res.body.on('error', () => undefined);
        return res;
      }),
    );
    await first.storedWhere((e) => e.request.path.startsWith('/load?t=before-'), completed);
    await eventually(
      () =>
        first
          .reader()
          .list({ limit: 1000, state: 'streaming' })
          .filter((e) => e.eventCount >= 2).length === streams,
      'the streams to be stored as they flow',
    );
    first.process.child.kill('SIGKILL');
    await new Promise((r) => first.process.child.once('exit', r));
    await first.stop();
    for (const res of open) res.body.destroy();

    const again = await startSubject(['--insecure-upstream'], dataDir);
    try {
      // Marked after the restart listens (a slice of rows at a time, between capture's batches), and said.
      await eventually(
        () => /(\d+) exchange\(s\) left open by an earlier run are now marked interrupted/.exec(again.process.output()),
        'the leftovers to be marked interrupted',
        30_000,
      );
      const check = new Database(databasePath(dataDir), { readonly: true });
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      check.close();
      const reader = again.reader();
      let intact = 0;
      for (const e of reader.list({ limit: 1000 })) {
        const token = new URL(e.request.path, 'http://x').searchParams.get('t');
        const expected = token ? sent.get(token) : undefined;
        if (
          expected &&
          e.state === 'complete' &&
          reader.body(e.id, 'request')?.equals(expected.body) &&
          reader.body(e.id, 'response')?.toString() === expected.reply
        )
          intact++;
      }
      const streamRows = reader.list({ limit: 1000 }).filter((e) => e.request.path.startsWith('/sse?id=kill-'));
      const interrupted = streamRows.filter(
        (e) => e.state === 'interrupted' && e.error === INTERRUPTED && reader.sseEvents(e.id).length >= 2,
      );
      // What the clients got: a right reply to each request, and each stream open.
      const answered = [...sent].filter(([token, s]) => s.reply === loadReply(token, s.body)).length;
      recordFault({
        scenario: 'SIGKILL with 50 streams open, restart',
        sent: answered + open.filter((r) => r.statusCode === 200).length,
        stored: intact + interrupted.length,
        crashes: await again.crashes(up.httpsUrl),
        note: `integrity_check ok; ${intact} complete intact, ${interrupted.length} marked interrupted`,
      });
    } finally {
      await again.stop();
    }
  }, 60_000);
});

describe('a second wirelog', () => {
  it('on the same data dir or the same port gets a clear message, and the first keeps working', async () => {
    const dataDir = tempDir('wirelog-fault-second-');
    const first = await startSubject(['--insecure-upstream'], dataDir);
    try {
      const sameDir = await runCli(['start', '--data-dir', dataDir, '--proxy-port', '0', '--ui-port', '0']);
      expect(sameDir.code).not.toBe(0);
      expect(sameDir.stderr).toMatch(
        /wirelog is already running on .* \(pid \d+, proxy http:\/\/127\.0\.0\.1:\d+\): use that one, stop it, or pass another --data-dir/,
      );
      const port = new URL(first.process.proxyUrl).port;
      const samePort = await runCli(['start', '--data-dir', tempDir(), '--proxy-port', port, '--ui-port', '0']);
      expect(samePort.code).not.toBe(0);
      // Its owner answers as a wirelog (cli/port-owner.ts), so it is named as one.
      expect(samePort.stderr).toContain(`the proxy port ${port} is already in use by another wirelog`);
      expect((await postLoad(up.httpsUrl, first.agent(), 'second', 'x')).reply).toBe(
        loadReply('second', Buffer.from('x')),
      );
      // The second instance stored nothing of its own in the first one's database.
      const stored = await first.settledWhere((e) => e.request.path === '/load?t=second', 1);
      recordFault({
        scenario: 'second wirelog on the same data dir / port',
        sent: 1,
        stored: stored.filter((e) => e.state === 'complete').length,
        crashes: await first.crashes(up.httpsUrl),
        note: 'both refused in one line naming the fix',
      });
    } finally {
      await first.stop();
    }
  });
});
