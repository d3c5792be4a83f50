// The upstream HTTPS agent parses its trusted roots on its first connection, not at start (it
// took 21-78 ms of the main thread before the proxy listened: bench/startup.ts), once, and still
// checks every upstream certificate against them.
import https from 'node:https';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createUpstreamAgents } from '../proxy/upstream.ts';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';

let trusted: FakeUpstream;
let stranger: FakeUpstream;
beforeAll(async () => {
  [trusted, stranger] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
});
afterAll(async () => {
  await Promise.all([trusted?.close(), stranger?.close()]);
});

function get(url: string, agent: https.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error('timed out')));
  });
}

it('builds its secure context on the first HTTPS connection, once, and still refuses a certificate it does not trust', async () => {
  const built = vi.spyOn(tls, 'createSecureContext');
  const agents = createUpstreamAgents({ extraCaPem: trusted.cert.certPem, systemRootsPem: '' });
  try {
    expect(built).not.toHaveBeenCalled();
    expect(await get(`${trusted.httpsUrl}/v1/models`, agents.https)).toBe(200);
    // A second connection (not the kept-alive one) reuses the context.
    agents.https.destroy();
    expect(await get(`${trusted.httpsUrl}/v1/models`, agents.https)).toBe(200);
    expect(built.mock.calls.filter(([options]) => options?.ca !== undefined)).toHaveLength(1);
    await expect(get(`${stranger.httpsUrl}/v1/models`, agents.https)).rejects.toThrow(
      /self[- ]signed|unable to verify|certificate/i,
    );
  } finally {
    built.mockRestore();
    agents.https.destroy();
    agents.http.destroy();
  }
});
