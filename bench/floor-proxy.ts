// The floor: the least a Node intercepting proxy can do, written for the benchmark alone.
// CONNECT, TLS terminated with one leaf certificate for every host, keep-alive forwarding with
// backpressure (pipe), nothing parsed beyond HTTP, nothing recorded. wirelog is measured against it.
// With `--record <db file>`: the same, storing each exchange in SQLite in the least way
// (bench/floor-recorder.ts), to show what recording alone costs.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { TLSSocket } from 'node:tls';
import { selfSignedCertificate } from '../test/support/upstream-cert.ts';
import { bodyKeeper, startFloorRecorder } from './floor-recorder.ts';

const upstreamCa = fs.readFileSync(process.argv[2], 'utf8');
const recordTo = process.argv[3] === '--record' ? process.argv[4] : null;
const recorder = recordTo
  ? startFloorRecorder(recordTo, createRequire(import.meta.url).resolve('better-sqlite3'))
  : null;
const leaf = selfSignedCertificate([
  'localhost',
  '127.0.0.1',
  ...Array.from({ length: 10 }, (_, i) => `127.0.0.${i + 2}`),
]);
const agent = new https.Agent({ keepAlive: true, ca: upstreamCa, maxSockets: 256 });
const targets = new WeakMap<Socket, { host: string; port: number }>();

const inner = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => {
  const target = targets.get(req.socket)!;
  const headers = { ...req.headers, host: `${target.host}:${target.port}` };
  const startedAt = Date.now();
  const requestBody = recorder ? bodyKeeper() : null;
  const up = https.request(
    {
      host: target.host,
      port: target.port,
      servername: target.host === 'localhost' ? 'localhost' : undefined,
      method: req.method,
      path: req.url,
      headers,
      agent,
    },
    (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      if (/event-stream/.test(String(ures.headers['content-type']))) res.flushHeaders();
      ures.pipe(res);
      if (!recorder || !requestBody) return;
      const responseBody = bodyKeeper();
      ures.on('data', (chunk: Buffer) => responseBody.add(chunk));
      ures.on('end', () =>
        recorder.record({
          method: req.method ?? 'GET',
          url: `https://${headers.host}${req.url}`,
          status: ures.statusCode ?? 0,
          requestHeaders: JSON.stringify(req.rawHeaders),
          responseHeaders: JSON.stringify(ures.rawHeaders),
          requestBody: requestBody.bytes(),
          responseBody: responseBody.bytes(),
          startedAt,
          endedAt: Date.now(),
        }),
      );
    },
  );
  up.on('error', () => res.destroy());
  if (requestBody) req.on('data', (chunk: Buffer) => requestBody.add(chunk));
  req.pipe(up);
});

const outer = http.createServer();
outer.on('connect', (req, socket: Socket) => {
  const [host, port] = (req.url ?? '').split(':');
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  const tls = new TLSSocket(socket, { isServer: true, key: leaf.keyPem, cert: leaf.certPem });
  targets.set(tls, { host, port: Number(port) });
  tls.on('error', () => tls.destroy());
  inner.emit('connection', tls);
});
outer.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ proxyUrl: `http://127.0.0.1:${(outer.address() as AddressInfo).port}`, caPem: leaf.certPem })}\n`,
  );
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
