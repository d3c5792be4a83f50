// Comparing two large JSON bodies, measured: two exchanges with 49 MB JSON requests (--quick:
// 20 MB) are stored in a running wirelog's database, then compared through its viewer
// (GET /api/compare) while a client sends requests through its proxy one after another: how
// long the longest of them took (the stall the comparison caused), against the same requests
// with no comparison, how long the comparison took, and wirelog's peak RSS before and after.
// WIRELOG_BIN=path/to/bin/wirelog.js measures another checkout (an older wirelog, for before
// and after). Figures only: nothing here is asserted.
//   npx tsx bench/compare-stall.ts [--quick]
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { peakRssMb } from './processes.ts';
import { BIN, startBench, stopWirelog, summary, traffic } from './stall-probe.ts';

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const BODY_MB = QUICK ? 20 : 49;

/** A chat request of about `mb` MB of JSON; `variant` changes the model and every 1000th message. */
function bigChat(mb: number, variant: string): Buffer {
  const content = 'lorem ipsum dolor sit amet '.repeat(37);
  const count = Math.ceil((mb * 1024 * 1024) / (content.length + 30));
  const messages = Array.from({ length: count }, (_, i) => ({
    role: 'user',
    content: i % 1000 === 0 ? `${variant} ${i} ${content}` : content,
  }));
  return Buffer.from(JSON.stringify({ model: `model-${variant}`, messages }));
}

/** A copy of a stored exchange with this request body, written into the database as the writer would (a chunk a row). */
function storeCopy(file: string, templateId: number, body: Buffer): number {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 10000');
    const columns = (db.pragma('table_info(exchanges)') as { name: string }[])
      .map((c) => c.name)
      .filter((c) => c !== 'id' && c !== 'uid');
    return db.transaction(() => {
      const copy = Number(
        db
          .prepare(
            `INSERT INTO exchanges (uid, ${columns.join(', ')}) SELECT ?, ${columns.join(', ')} FROM exchanges WHERE id = ?`,
          )
          .run(randomUUID(), templateId).lastInsertRowid,
      );
      db.prepare(
        `UPDATE exchanges SET request_size = ?, request_stored = ?, request_truncated = 0, request_encoding = '' WHERE id = ?`,
      ).run(body.length, body.length, copy);
      const insert = db.prepare(`INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, 'request', ?, ?)`);
      for (let at = 0, seq = 0; at < body.length; at += 1024 * 1024, seq++)
        insert.run(copy, seq, body.subarray(at, at + 1024 * 1024));
      return copy;
    })();
  } finally {
    db.close();
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-bench-compare-'));
try {
  const dataDir = path.join(dir, 'data');
  const { upstream, wirelog, agent } = await startBench(dir, dataDir);
  try {
    const first = await request(`${upstream.ready.httpsUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"m","messages":[]}',
      dispatcher: agent,
    });
    await first.body.text();
    await traffic(agent, upstream.ready.httpsUrl, null, 200); // warm-up
    // The chat call stored is the template of the two large ones.
    let template: number | undefined;
    for (let tries = 0; template === undefined && tries < 200; tries++) {
      const list = (await (await request(`${wirelog.viewerUrl}/api/exchanges?limit=1000`)).body.json()) as {
        exchanges: { id: number; url: string }[];
      };
      template = list.exchanges.find((e) => e.url.endsWith('/v1/chat/completions'))?.id;
      if (template === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    if (template === undefined) throw new Error('the chat call was not stored');
    const file = path.join(dataDir, 'wirelog.sqlite');
    const a = storeCopy(file, template, bigChat(BODY_MB, 'a'));
    const b = storeCopy(file, template, bigChat(BODY_MB, 'b'));
    console.log(`compare bench: two ${BODY_MB} MB JSON requests, wirelog ${BIN}`);
    console.log(
      `proxied requests, no comparison: ${summary(await traffic(agent, upstream.ready.httpsUrl, null, 1000))}`,
    );
    const rssBefore = peakRssMb(wirelog.child.pid!);
    const started = performance.now();
    const compared = request(`${wirelog.viewerUrl}/api/compare?a=${a}&b=${b}`, {
      headersTimeout: 0,
      bodyTimeout: 0,
    }).then(async (res) => ({ status: res.statusCode, text: await res.body.text() }));
    const during = await traffic(agent, upstream.ready.httpsUrl, compared, 0);
    const answer = await compared;
    const seconds = (performance.now() - started) / 1000;
    const body = answer.text.length > 300 ? `${answer.text.slice(0, 300)}…` : answer.text;
    console.log(`comparison: ${seconds.toFixed(1)} s, ${answer.status}, ${answer.text.length} characters: ${body}`);
    console.log(`proxied requests during it: ${summary(during)}`);
    console.log(
      `wirelog peak RSS: ${rssBefore.toFixed(0)} MB before the comparison, ${peakRssMb(wirelog.child.pid!).toFixed(0)} MB after`,
    );
  } finally {
    await agent.close();
    await stopWirelog(wirelog);
    await upstream.stop();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
