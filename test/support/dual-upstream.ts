// An upstream on 127.0.0.1 that speaks HTTPS and plain HTTP on the same port (it looks at the
// first byte of each connection), so that a test can capture over https://localhost:PORT and
// replay to http://localhost:PORT: the same host and port, only the scheme differs. It keeps
// every byte a plain connection brought and every request either side parsed, to tell whether
// any byte of a key arrived.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { readBody, type ReceivedRequest } from './fake-upstream.ts';
import { selfSignedCertificate, type TestCertificate } from './upstream-cert.ts';

export interface DualUpstream {
  port: number;
  cert: TestCertificate;
  /** Requests parsed, over TLS and not, in arrival order. */
  received: (ReceivedRequest & { tls: boolean })[];
  /** How much has arrived so far: a mark for `since`. */
  mark(): number;
  /** Every byte of plain connections and every request parsed over TLS since `mark`, as one text to search for a key. */
  since(mark: number): string;
  close(): Promise<void>;
}

const TLS_HANDSHAKE = 0x16;

/**
 * `key` is what /keyed/... wants as `Authorization: Bearer KEY` (401 as new-api answers
 * without it); /redirect?to=URL answers 302 to URL; anything else 200 with a small JSON body.
 * Upstreams a wirelog must all trust share one `cert`: OpenSSL finds a trusted self-signed
 * certificate by its subject, and every test certificate is named localhost.
 */
export async function startDualUpstream(
  key: string,
  cert: TestCertificate = selfSignedCertificate(),
): Promise<DualUpstream> {
  const received: DualUpstream['received'] = [];
  // In arrival order: plain bytes as they came, TLS requests once parsed (their bytes are encrypted).
  const log: string[] = [];
  const sockets = new Set<net.Socket>();

  const handle = (tls: boolean) => async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = await readBody(req);
    received.push({ tls, method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, body });
    if (tls) log.push(`${req.method} ${req.url}\n${req.rawHeaders.join('\n')}\n\n${body.toString('latin1')}`);
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, value: unknown) => {
      const text = JSON.stringify(value);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/', 'content-length': '0' });
      return void res.end();
    }
    if (url.pathname.startsWith('/keyed/')) {
      if (!req.headers.authorization) return json(401, { error: { message: '未提供令牌', type: 'new_api_error' } });
      if (req.headers.authorization !== `Bearer ${key}`)
        return json(401, { error: { message: '无效的令牌', type: 'new_api_error' } });
      return json(200, {
        id: 'chatcmpl-dual',
        object: 'chat.completion',
        model: 'gpt-4o',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      });
    }
    json(200, { ok: true });
  };

  const plainServer = http.createServer(handle(false));
  const tlsServer = https.createServer({ cert: cert.certPem, key: cert.keyPem }, handle(true));
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (first: Buffer) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) return void tlsServer.emit('connection', socket);
      socket.on('data', (chunk: Buffer) => log.push(chunk.toString('latin1')));
      plainServer.emit('connection', socket);
      socket.resume();
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  return {
    port: (front.address() as AddressInfo).port,
    cert,
    received,
    mark: () => log.length,
    since: (mark) => log.slice(mark).join('\n'),
    async close() {
      for (const socket of sockets) socket.destroy();
      plainServer.closeAllConnections();
      tlsServer.closeAllConnections();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
