import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadReply, postLoad, startIdleClosingUpstream } from './hostile-upstream.ts';
import { recordFault } from './ledger.ts';
import { startSubject, type Subject } from './subject.ts';

let subject: Subject;

beforeAll(async () => {
  subject = await startSubject(['--insecure-upstream']);
});

afterAll(async () => {
  await subject?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `clients` loops of `rounds` requests each, pausing `pauseMs` between them, through wirelog to
 * `baseUrl`. Resolves with what each client got: every reply is checked against its request.
 */
async function pausingClients(baseUrl: string, scenario: string, clients: number, rounds: number, pauseMs: number) {
  const agent = subject.agent({ connections: clients, keepAliveTimeout: 60_000 });
  const errors: string[] = [];
  const tokens: string[] = [];
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < rounds; i++) {
        // The pause is the scenario: connections left idle between requests.
        if (i > 0) await sleep(pauseMs + ((c * 7) % 20));
        const token = `${scenario}-${c}-${i}`;
        const body = `request ${token}`;
        try {
          const { status, reply } = await postLoad(baseUrl, agent, token, body);
          if (status !== 200 || reply !== loadReply(token, Buffer.from(body)))
            errors.push(`${token}: ${status} ${reply.slice(0, 120)}`);
          else tokens.push(token);
        } catch (err) {
          errors.push(`${token}: ${(err as Error).message}`);
        }
      }
    }),
  );
  return { errors, tokens };
}

describe('keep-alive races with the upstream', () => {
  it('an upstream that closes idle connections after 1 s without saying so: every client gets its answer', async () => {
    const up = await startIdleClosingUpstream(1000, false);
    try {
      const clients = 20;
      const rounds = 4;
      const { errors, tokens } = await pausingClients(up.url, 'silent', clients, rounds, 1100);
      expect(errors).toEqual([]);
      const stored = await subject.storedWhere((e) => e.request.path.startsWith('/load?t=silent-'), tokens.length);
      const retriedRows = stored.filter((e) => e.timings.retried !== undefined);
      const retried = retriedRows.length;
      recordFault({
        scenario: 'upstream: closes idle keep-alive connections after 1 s, unannounced',
        sent: clients * rounds,
        stored: stored.filter(
          (e) =>
            e.state === 'complete' && up.answered.get(new URL(e.request.path, 'http://x').searchParams.get('t')!) === 1,
        ).length,
        crashes: await subject.crashes(up.url),
        note: `${up.dropped} requests hit a closing connection upstream, ${retried} retried by wirelog, ${errors.length} client errors`,
      });
      // The race was provoked (the upstream dropped requests) and wirelog hid every one of them.
      expect(up.dropped).toBeGreaterThan(0);
      expect(retried).toBe(up.dropped);
      // Each retry went out on a new connection, not on another idle one.
      for (const e of retriedRows)
        expect(up.firstOnConnection.has(new URL(e.request.path, 'http://x').searchParams.get('t')!)).toBe(true);
      expect(stored).toHaveLength(clients * rounds);
      for (const token of tokens) expect(up.answered.get(token)).toBe(1);
    } finally {
      await up.close();
    }
  }, 60_000);

  it('a retry goes out on a new connection, not on another idle one that is just as stale (over TLS)', async () => {
    const up = await startIdleClosingUpstream(1000, false, true);
    try {
      // Four clients at once: four upstream connections, then all idle past the upstream's limit.
      const agents = Array.from({ length: 4 }, () => subject.agent());
      const first = await Promise.all(agents.map((agent, i) => postLoad(up.url, agent, `pool-${i}`, 'x')));
      expect(first.every((r) => r.status === 200)).toBe(true);
      expect(up.connections).toBe(4);
      // The idle period is the scenario: past the upstream's 1 s limit (a busy machine only makes it longer).
      await sleep(1200);
      const { status, reply } = await postLoad(up.url, agents[0], 'after-idle', 'x');
      const [e] = await subject.settledWhere((x) => x.request.path === '/load?t=after-idle', 1);
      recordFault({
        scenario: 'upstream: every idle connection stale at once',
        sent: status === 200 && reply === loadReply('after-idle', Buffer.from('x')) ? 1 : 0,
        stored: e?.state === 'complete' && e.timings.retried !== undefined ? 1 : 0,
        crashes: await subject.crashes(up.url),
        note: `${up.dropped} dropped upstream; the retry was the first request on its connection: ${up.firstOnConnection.has('after-idle')}`,
      });
      expect(up.dropped).toBe(1);
      expect(up.firstOnConnection.has('after-idle')).toBe(true);
    } finally {
      await up.close();
    }
  });

  it('an upstream that announces Keep-Alive: timeout=2: its idle connections are dropped before it closes them', async () => {
    const up = await startIdleClosingUpstream(2000, true);
    try {
      const clients = 10;
      const rounds = 3;
      const { errors, tokens } = await pausingClients(up.url, 'announced', clients, rounds, 2200);
      expect(errors).toEqual([]);
      const stored = await subject.storedWhere((e) => e.request.path.startsWith('/load?t=announced-'), tokens.length);
      recordFault({
        scenario: 'upstream: announces Keep-Alive: timeout=2',
        sent: clients * rounds,
        stored: stored.filter((e) => e.state === 'complete').length,
        crashes: await subject.crashes(up.url),
        note: `${up.dropped} requests sent on a connection the upstream had given up; ${up.connections} connections opened`,
      });
      // Never reused past the announced timeout: nothing to retry at all.
      expect(up.dropped).toBe(0);
      expect(stored.filter((e) => e.state === 'complete')).toHaveLength(clients * rounds);
    } finally {
      await up.close();
    }
  }, 60_000);
});
