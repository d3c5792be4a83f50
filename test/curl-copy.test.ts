import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeDetail } from '../viewer/app/api.ts';
import { curlCommand } from '../viewer/app/curl.ts';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { tempDir } from './support/harness.ts';

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream?.close());

/** The detail of a captured POST to the fake upstream's /echo with this body, as the viewer gets it. */
function detailWith(body: Buffer, asText: boolean): ExchangeDetail {
  const port = upstream.httpPort;
  return {
    exchange: { request: { startedAt: 0, clientAddress: '', method: 'POST', scheme: 'http', host: '127.0.0.1', port, path: '/echo?copied', httpVersion: '1.1', headers: [['Content-Type', 'application/octet-stream']] } },
    requestBody: { mimeType: '', encoding: '', size: body.length, storedSize: body.length, truncated: false, decodeError: null, text: asText ? body.toString('utf8') : null, base64: asText ? null : body.toString('base64'), decodedSize: body.length },
  } as unknown as ExchangeDetail;
}

function runShell(command: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => execFile('sh', ['-c', command], { cwd, env: { ...process.env, http_proxy: '', HTTP_PROXY: '' } }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
}

describe('copy as cURL sends exactly the captured bytes, and runs nothing else', () => {
  const cwd = tempDir('wirelog-curl-');
  const marker = path.join(cwd, 'ran');
  const bodies: Record<string, [Buffer, boolean]> = {
    'a leading @ (curl would upload that file)': [Buffer.from('@/etc/passwd'), true],
    'quotes of both kinds': [Buffer.from(`{"a": "it's \\"quoted\\""}`), true],
    'newlines and carriage returns': [Buffer.from('line one\nline two\r\n\n'), true],
    'a command substitution': [Buffer.from(`$(touch ${marker}) \`touch ${marker}\``), true],
    'NUL bytes in text': [Buffer.from('before\0after'), true],
    'binary': [Buffer.from([0x00, 0xff, 0x27, 0x40, 0x0a, 0x80]), false],
  };
  for (const [name, [body, asText]] of Object.entries(bodies)) {
    it(name, async () => {
      const command = curlCommand(detailWith(body, asText));
      const echoed = JSON.parse(await runShell(command, cwd)) as { body: string };
      expect(Buffer.from(echoed.body, 'base64').equals(body)).toBe(true);
      expect(fs.existsSync(marker)).toBe(false);
    });
  }
});
