// `--upstream-proxy`: only an http:// proxy (one that takes CONNECT) is taken; anything else is a
// usage error naming the cause and the fix, its credentials masked. The shell-proxy warning names
// the flag with the user's own proxy.
import { describe, expect, it } from 'vitest';
import { captureConfig, UsageError } from '../cli/args.ts';
import { userProxy } from '../cli/user-proxy.ts';
import { createI18n } from '../i18n/index.ts';

const config = (value: string) =>
  captureConfig({ 'upstream-proxy': value, 'max-connections': '100' }, { proxyPort: 0, uiPort: null });

function refusal(value: string): string {
  try {
    config(value);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`${value} was taken`);
}

describe('--upstream-proxy', () => {
  it('takes http://host:port, and credentials as Basic, percent-decoded (RFC 3986 3.2.1, RFC 7617)', () => {
    expect(config('http://127.0.0.1:7890').upstreamProxy).toEqual({
      host: '127.0.0.1',
      port: 7890,
      authorization: null,
      shown: 'http://127.0.0.1:7890',
    });
    expect(config('http://me:p%40ss%3Aw@proxy.lan:3128').upstreamProxy).toEqual({
      host: 'proxy.lan',
      port: 3128,
      authorization: `Basic ${Buffer.from('me:p@ss:w').toString('base64')}`,
      shown: 'http://me:****@proxy.lan:3128',
    });
    expect(config('http://[::1]:8080').upstreamProxy).toMatchObject({ host: '::1', port: 8080 });
    expect(config('http://proxy.lan').upstreamProxy).toMatchObject({ port: 80 });
    expect(captureConfig({ 'max-connections': '100' }, { proxyPort: 0, uiPort: null }).upstreamProxy).toBeUndefined();
  });

  it('refuses socks5:// and https:// with the fix, the password masked', () => {
    const socks = refusal('socks5://me:hunter2-secret@127.0.0.1:7891');
    expect(socks).toMatch(/^--upstream-proxy socks5:\/\/me:\*+@127\.0\.0\.1:7891: only an HTTP proxy/);
    expect(socks).toContain('not socks5');
    expect(socks).toContain('--upstream-proxy http://127.0.0.1:7890');
    expect(socks).not.toContain('hunter2');
    expect(refusal('https://127.0.0.1:7890')).toContain('not https');
  });

  it('refuses what is not a proxy URL', () => {
    for (const value of ['127.0.0.1:7890x', 'http://', 'http://127.0.0.1:7890/v1', 'http://127.0.0.1:7890/?a=1'])
      expect(refusal(value)).toBe(
        `--upstream-proxy ${value} is not a proxy URL: use http://HOST:PORT or http://USER:PASS@HOST:PORT`,
      );
  });
});

describe("the shell's proxy warning", () => {
  it('names the flag with the shell proxy, its credentials masked, in en and zh-CN', () => {
    const theirs = userProxy({ https_proxy: 'http://me:hunter2@127.0.0.1:7890' }, [8899])!;
    expect(theirs).toEqual({
      name: 'https_proxy',
      value: 'http://me:****@127.0.0.1:7890',
      flag: 'http://me:****@127.0.0.1:7890',
    });
    // Clash's mixed port serves HTTP too: a socks5 variable is offered as http:// on the same port.
    expect(userProxy({ ALL_PROXY: 'socks5://127.0.0.1:7890' }, [8899])?.flag).toBe('http://127.0.0.1:7890');
    expect(createI18n('en').t('commands.start.userProxy', theirs)).toContain(
      'start wirelog with --upstream-proxy http://me:****@127.0.0.1:7890',
    );
    expect(createI18n('zh-CN').t('commands.run.userProxy', theirs)).toContain(
      '加上 --upstream-proxy http://me:****@127.0.0.1:7890',
    );
  });
});
