// What wirelog's server side says itself, in its language: the 503 past --max-connections (the
// proxy's language), the viewer API's fault answer (the request's language), and the note
// forward.ts stores when a stream's events stop being split out (stored English, read in Chinese).
import net from 'node:net';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { localized, serverText } from '../i18n/stored-text.ts';
import { capConnections } from '../proxy/connections.ts';
import { apiErrorHandler } from '../viewer/errors.ts';

const CJK = /[\u4e00-\u9fff]/;
const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((closed) => s.close(closed))));
});

/** What a second client reads from a server capped at one connection, and what the console said. */
async function refusedPast(max: number, language?: 'en' | 'zh-CN'): Promise<{ answer: string; warned: string[] }> {
  const server = net.createServer((socket) => socket.on('error', () => undefined));
  servers.push(server);
  const warned: string[] = [];
  const cap = capConnections(server, max, (line) => warned.push(line), language);
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as net.AddressInfo;
  const first = net.connect(port, '127.0.0.1');
  await new Promise((connected) => first.once('connect', connected));
  // The server has counted the first one once it holds it open.
  await expect.poll(() => cap.open(), { timeout: 5000 }).toBe(1);
  const second = net.connect(port, '127.0.0.1');
  let answer = '';
  second.on('data', (d) => (answer += d.toString()));
  await new Promise((ended) => second.once('close', ended));
  first.destroy();
  cap.closeAll();
  return { answer, warned };
}

describe('the 503 past --max-connections', () => {
  it("in the proxy's language, the console's line too", async () => {
    const zh = await refusedPast(1, 'zh-CN');
    expect(zh.answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(zh.answer).toContain('wirelog: 客户端连接太多（1 个，--max-connections）；请稍后再试\n');
    expect(zh.warned).toEqual([
      'wirelog: 已经打开了 1 个客户端连接（--max-connections）：在有连接关闭之前，新的连接一律返回 503',
    ]);
  });

  it('English when the proxy has no language given', async () => {
    const en = await refusedPast(1);
    expect(en.answer).toContain('wirelog: too many client connections (1, --max-connections); try again shortly\n');
  });
});

describe("the viewer API's fault answer", () => {
  const app = new Hono();
  app.onError(apiErrorHandler());
  app.get('/api/broken', () => {
    throw new TypeError('x is undefined');
  });

  it("in the request's language, the cause as it was", async () => {
    const zh = (await (await app.request('/api/broken?lang=zh-CN')).json()) as { error: string };
    expect(zh.error).toBe(
      'wirelog 无法响应 GET /api/broken：TypeError: x is undefined（这是 wirelog 的故障：查看器的其他部分仍可使用；请带上这一行反馈）',
    );
    const byHeader = (await (
      await app.request('/api/broken', { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } })
    ).json()) as { error: string };
    expect(byHeader.error).toMatch(CJK);
    const en = (await (await app.request('/api/broken')).json()) as { error: string };
    expect(en.error).toBe(
      'wirelog could not answer GET /api/broken: TypeError: x is undefined (a fault in wirelog: the rest of the viewer still works; please report it with this line)',
    );
  });
});

describe('stored notes of the proxy read in Chinese', () => {
  it("forward.ts's note on a stream whose events stopped being split out", () => {
    const stored = `the upstream closed the connection before the response ended; ${serverText('en', 'stored.eventsNotSplit', { why: 'boom' })}`;
    expect(stored).toBe(
      'the upstream closed the connection before the response ended; events after a point were not split out of the stream: boom',
    );
    expect(localized(stored, 'zh-CN')).toBe(
      '响应还没结束，上游就关闭了连接；从某处起，后面的事件没有从流里拆分出来：boom',
    );
  });
});
