import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { curl, startHarness, type Harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ proxyAuth: 'alice:s3cret' });
});
afterAll(() => h?.close());

describe('--proxy-auth', () => {
  it('refuses HTTPS tunnels and plain requests without the credentials (407)', async () => {
    // The harness's proxy URL carries the credentials: these go to the bare address instead.
    const bare = h.proxyUrl.replace('alice:s3cret@', '');
    const tunnel = await curl(h, ['--proxy', bare, '-v', `${h.upstream.httpsUrl}/v1/models`]);
    expect(tunnel.code).not.toBe(0);
    expect(tunnel.stderr).toContain('407');
    const plain = await curl(h, ['--proxy', bare, '-i', `${h.upstream.httpUrl}/v1/models`]);
    expect(plain.stdout.toString()).toMatch(/^HTTP\/1\.1 407/);
    expect(plain.stdout.toString()).toContain('Proxy-Authenticate: Basic realm="wirelog"');
    const wrong = await curl(h, ['--proxy', bare, '--proxy-user', 'alice:nope', '-i', `${h.upstream.httpUrl}/v1/models`]);
    expect(wrong.stdout.toString()).toMatch(/^HTTP\/1\.1 407/);
  });

  it('lets clients with the credentials through, and gives them in the proxy URL', async () => {
    expect(h.proxyUrl).toMatch(/^http:\/\/alice:s3cret@127\.0\.0\.1:\d+$/);
    const tunnel = await curl(h, [`${h.upstream.httpsUrl}/v1/models`]);
    expect(JSON.parse(tunnel.stdout.toString()).object).toBe('list');
    const plain = await curl(h, [`${h.upstream.httpUrl}/v1/models`]);
    expect(JSON.parse(plain.stdout.toString()).object).toBe('list');
  });

  it('is required to listen beyond loopback', async () => {
    const open = await runCli(['start', '--host', '0.0.0.0', '--proxy-port', '0', '--ui-port', '0']);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain('listening on 0.0.0.0 lets other machines use this proxy: add --proxy-auth user:password');
    const malformed = await runCli(['start', '--proxy-auth', 'no-colon']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--proxy-auth must be user:password');
  });
});
