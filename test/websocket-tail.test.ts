import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import type { ExchangeRecorder } from '../proxy/recorder.ts';
import { FrameTap } from '../proxy/websocket.ts';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

/** A server's text frame with its payload compressed on its own (permessage-deflate, RSV1 set). */
function deflatedFrame(text: string): Buffer {
  const compressed = zlib
    .deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH })
    .subarray(0, -4);
  const length = compressed.length;
  const head = length < 126 ? Buffer.from([0xc1, length]) : Buffer.from([0xc1, 126, length >> 8, length & 255]);
  return Buffer.concat([head, compressed]);
}

describe('the frame tap on a machine whose thread pool is busy', () => {
  it('waits past a second for the last messages to be inflated, and ends with all of them', async () => {
    const dir = tempDir('wirelog-ws-pool-');
    const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const fifos = Array.from({ length: size }, (_, i) => path.join(dir, `busy-${i}`));
    for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
    const messages: string[] = [];
    const recorder = {
      wsMessage: (m: { payload: Buffer; opcode: number }) =>
        m.opcode === 1 && messages.push(Buffer.from(m.payload).toString()),
    } as unknown as ExchangeRecorder;
    const tap = new FrameTap(recorder, [
      ['Sec-WebSocket-Extensions', 'permessage-deflate; server_no_context_takeover; client_no_context_takeover'],
    ]);
    const frames = Array.from({ length: 50 }, (_, i) =>
      deflatedFrame(JSON.stringify({ type: i === 49 ? 'response.completed' : 'response.output_text.delta', i })),
    );
    // Every pool thread blocks opening a FIFO until the test opens its other end.
    const opened = fifos.map(
      (fifo) =>
        new Promise<number>((resolve, reject) => fs.open(fifo, 'r', (err, fd) => (err ? reject(err) : resolve(fd)))),
    );
    try {
      for (const frame of frames) tap.write('receive', frame);
      tap.write('receive', Buffer.from([0x88, 0x02, 0x03, 0xe8]));
      const finished = tap.finish();
      // The pool stays busy past the second the tap used to wait.
      await new Promise((r) => setTimeout(r, 1500));
      for (const fifo of fifos) fs.closeSync(fs.openSync(fifo, 'w'));
      await finished;
      expect(messages).toHaveLength(50);
      expect(messages[49]).toContain('response.completed');
      expect(tap.decodeError).toBeNull();
    } finally {
      for (const fd of await Promise.all(opened)) fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const MESSAGES = 1200;
let h: Harness;
let server: http.Server;
let wss: WebSocketServer;
beforeAll(async () => {
  h = await startHarness();
  server = http.createServer();
  // A Codex-style turn: many small events, the last one response.completed, then a close.
  wss = new WebSocketServer({ server, perMessageDeflate: { threshold: 0 } });
  wss.on('connection', (ws) => {
    ws.once('message', () => {
      for (let i = 0; i < MESSAGES - 1; i++)
        ws.send(JSON.stringify({ type: 'response.output_text.delta', delta: `word ${i} `, sequence_number: i }));
      ws.send(JSON.stringify({ type: 'response.completed', response: { id: 'resp_1', status: 'completed' } }), () =>
        ws.close(1000),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  wss?.close();
  await new Promise((r) => server?.close(r));
  await h?.close();
});

async function session(port: number): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${port}/v1/responses`, {
    perMessageDeflate: true,
  });
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the session did not end within 60 s')), 60_000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'response.create', model: 'ws-tail' })));
    ws.on('message', () => received++);
    ws.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.on('error', reject);
  });
  return received;
}

describe('WebSocket sessions with permessage-deflate', () => {
  it('eight at once: every message the clients got is stored, response.completed included', async () => {
    const port = (server.address() as AddressInfo).port;
    const received = await Promise.all(Array.from({ length: 8 }, () => session(port)));
    expect(received).toEqual(Array(8).fill(MESSAGES));
    await h.stored();
    const sessions = h.wirelog.reader
      .list({ limit: 100 })
      .filter((e) => e.request.path === '/v1/responses' && e.request.scheme === 'ws');
    expect(sessions).toHaveLength(8);
    for (const e of sessions) {
      const messages = h.wirelog.reader.wsMessages(e.id).filter((m) => m.direction === 'receive' && m.opcode === 1);
      expect(messages).toHaveLength(MESSAGES);
      expect(Buffer.from(messages[messages.length - 1].payload).toString()).toContain('response.completed');
      expect(e.state).toBe('complete');
    }
  });
});
