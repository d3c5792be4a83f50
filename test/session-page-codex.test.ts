// The real Codex CLI's requests read from their end (issue 28): Codex (0.171, through the gateway,
// against a scripted upstream) runs three shell commands and answers; once its requests are packed
// (split into parts), the page the API answers (the session worker, each conversation read from
// its end: llm/request-tail.ts) is byte for byte the page read with every body parsed whole, and
// every request was read as an outline, not joined.
import fs from 'node:fs';
import http from 'node:http';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPLIT } from '../db/blobs.ts';
import { StoredRequests } from '../db/request-outline.ts';
import { sessionPage } from '../llm/session-read.ts';
import { eventually, startHarness, type Harness } from './support/harness.ts';
import { answerWithItem, runCodex, scriptedCodexHome } from './support/scripted-codex.ts';

const COMMANDS = ['echo alpha-42', 'echo beta-7', 'echo gamma-9'];
const FINAL = 'All three ran: alpha-42, beta-7 and gamma-9.';

let h: Harness;
let upstream: http.Server;
let home: string;
let codexOutput = '';

beforeAll(async () => {
  h = await startHarness();
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/v1/responses')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        return void res.end('{"error":{"message":"not scripted"}}');
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input: { type?: string }[] };
      const turn = body.input.filter((i) => i.type === 'function_call_output').length;
      const command = COMMANDS[turn];
      const item = command
        ? {
            type: 'function_call',
            id: `fc_${turn}`,
            status: 'completed',
            name: 'exec_command',
            arguments: JSON.stringify({ cmd: command }),
            call_id: `call_${turn}`,
          }
        : {
            type: 'message',
            id: `msg_${turn}`,
            role: 'assistant',
            status: 'completed',
            content: [{ type: 'output_text', text: FINAL, annotations: [] }],
          };
      answerWithItem(res, `resp_tail_${turn}`, item, {
        input_tokens: 5000 + turn,
        output_tokens: 20,
        input_tokens_details: { cached_tokens: 0 },
        total_tokens: 0,
      });
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as { port: number }).port;
  const codex = scriptedCodexHome(`http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${port}/v1`);
  home = codex.home;
  const { stdout, stderr } = await runCodex(
    [
      'exec',
      '--skip-git-repo-check',
      `Run ${COMMANDS.map((c) => `\`${c}\``).join(', then ')}, then report the outputs.`,
    ],
    { cwd: codex.work, env: codex.env },
    120_000,
  );
  codexOutput = `${stdout}\n${stderr}`;
}, 180_000);

afterAll(async () => {
  await h?.close();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  if (home) fs.rmSync(home, { recursive: true, force: true });
});

describe("a real Codex session's page, its requests read from their end", () => {
  it('is the page read whole, byte for byte; every request read as an outline', async () => {
    expect(codexOutput).toContain(FINAL);
    const db = new Database(h.wirelog.reader.file!, { readonly: true, fileMustExist: true });
    try {
      // Understood (its thread key) and packed (its request split) in the slices after the commit.
      const rows = await eventually(() => {
        const found = db
          .prepare(
            `SELECT e.id, e.thread_key AS key FROM exchanges e JOIN bodies b ON b.exchange_id = e.id AND b.side = 'request'
             WHERE e.thread_key LIKE 'session:%' AND b.codec >= ${SPLIT} ORDER BY e.id`,
          )
          .all() as { id: number; key: string }[];
        return found.length === COMMANDS.length + 1 ? found : undefined;
      }, 'the four Codex requests understood and split');
      const key = rows[0].key;
      const requests = new StoredRequests(db);
      for (const { id } of rows) expect(requests.outline(id)).not.toBeNull();

      const res = await fetch(`${h.wirelog.viewer!.url}/api/sessions/${encodeURIComponent(key)}?offset=0&limit=100`);
      expect(res.status).toBe(200);
      const answered = await res.text();
      expect(answered).toBe(JSON.stringify(sessionPage(h.wirelog.reader, key, 0, 100)));
      // And a page from the middle, answered by the same worker.
      const middle = await fetch(`${h.wirelog.viewer!.url}/api/sessions/${encodeURIComponent(key)}?offset=1&limit=2`);
      expect(await middle.text()).toBe(JSON.stringify(sessionPage(h.wirelog.reader, key, 1, 2)));

      const page = JSON.parse(answered) as { turns: { tools: { callId: string; result: string | null }[] }[] };
      expect(
        page.turns.map((t) => t.tools.map((p) => [p.callId, p.result?.includes(COMMANDS[0].slice(5)) ?? null])),
      ).toEqual([[['call_0', true]], [['call_1', false]], [['call_2', false]], []]);
    } finally {
      db.close();
    }
  });
});
