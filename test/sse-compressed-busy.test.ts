import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, tempDir, type Harness } from './support/harness.ts';

// libuv's thread pool, where zlib decodes, held busy the way a loaded machine holds it: each
// thread blocks opening a FIFO until the test opens its other end.
function occupyThreadPool(dir: string): () => void {
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const fifos = Array.from({ length: size }, (_, i) => path.join(dir, `busy-${i}`));
  for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
  const opened = fifos.map(
    (fifo) =>
      new Promise<number>((resolve, reject) => fs.open(fifo, 'r', (err, fd) => (err ? reject(err) : resolve(fd)))),
  );
  return () => {
    for (const fifo of fifos) fs.closeSync(fs.openSync(fifo, 'w'));
    void Promise.all(opened).then((fds) => fds.forEach((fd) => fs.closeSync(fd)));
  };
}

/** A chat completion stream compressed as a relay sends it, each event flushed: made before the pool is taken. */
async function compressedStream(encoding: 'gzip' | 'deflate' | 'br', events: number): Promise<Buffer[]> {
  const coder = { gzip: zlib.createGzip, deflate: zlib.createDeflate, br: zlib.createBrotliCompress }[encoding]();
  const chunks: Buffer[] = [];
  coder.on('data', (c: Buffer) => chunks.push(c));
  const flushed = () => new Promise<void>((r) => coder.flush(() => r()));
  for (let i = 0; i < events; i++) {
    coder.write(
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'busy', choices: [{ index: 0, delta: { content: `w${i} ` }, finish_reason: i === events - 1 ? 'stop' : null }] })}\n\n`,
    );
    await flushed();
  }
  coder.write('data: [DONE]\n\n');
  await new Promise<void>((r) => coder.end(r));
  return chunks;
}

let h: Harness;
let upstream: http.Server;
let prepared: Buffer[] = [];
let dir: string;
beforeAll(async () => {
  h = await startHarness();
  dir = tempDir('wirelog-busy-');
  upstream = http.createServer(async (req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': String(req.headers['x-encoding']) });
    for (const chunk of prepared) {
      res.write(chunk);
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  await new Promise((r) => upstream?.close(r));
  await h?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const decode = { gzip: zlib.gunzipSync, deflate: zlib.inflateSync, br: zlib.brotliDecompressSync };

describe('a compressed event stream on a machine whose thread pool is busy', () => {
  it.each(['gzip', 'deflate', 'br'] as const)(
    '%s: every event the client got is stored, and no cut is diagnosed',
    async (encoding) => {
      prepared = await compressedStream(encoding, 200);
      const release = occupyThreadPool(fs.mkdtempSync(path.join(dir, `${encoding}-`)));
      let body: Buffer;
      try {
        // Node's http client, not fetch: fetch would decode the body on the pool it waits for.
        body = await new Promise<Buffer>((resolve, reject) => {
          const req = http.request(
            {
              host: '127.0.0.1',
              port: h.wirelog.proxy.port,
              method: 'POST',
              path: `/http/127.0.0.1:${(upstream.address() as AddressInfo).port}/v1/chat/completions`,
              headers: { 'content-type': 'application/json', 'x-encoding': encoding },
              timeout: 20_000,
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve(Buffer.concat(chunks)));
              res.on('error', reject);
            },
          );
          req.on('timeout', () => req.destroy(new Error('no answer within 20 s')));
          req.on('error', reject);
          req.end(JSON.stringify({ model: 'busy', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
        });
      } finally {
        release();
      }
      // What the client got, decoded by the test itself.
      const received = decode[encoding](body)
        .toString()
        .split('\n\n')
        .filter((e) => e.startsWith('data: ')).length;
      expect(received).toBe(201);
      await h.stored();
      const e = h.wirelog.reader.list({ limit: 10 })[0];
      expect(e.state).toBe('complete');
      expect(h.wirelog.reader.sseEvents(e.id)).toHaveLength(received);
      expect(e.error).toBeNull();
      expect(e.diagnosis ?? null).toBeNull();
    },
  );
});
