// What storage leaves out to bound memory is counted on the exchange, and never read as a cut
// stream (issue 24: 713 plain streams lost events to shedding and were then diagnosed as cut);
// and the console says storage's condition once per change, not once per batch.
import { describe, expect, it } from 'vitest';
import { Backlog } from '../db/backlog.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { StorageNews } from '../db/storage-news.ts';
import { createI18n } from '../i18n/index.ts';
import { analyzeEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { tempDir } from './support/harness.ts';

const body = (size: number) => ({ size, storedSize: size, truncated: false, encoding: '' });

/** A streamed chat completion: 20 deltas, then data: [DONE]. */
function chatStream(uid: string, keepEvents = 21): ExchangeEvent[] {
  const request = Buffer.from(
    JSON.stringify({ model: 'test-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  );
  const data = [
    ...Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({
        id: 'c1',
        model: 'test-model',
        choices: [{ index: 0, delta: { content: `word${i} `.padEnd(80, '.') } }],
      }),
    ),
    '[DONE]',
  ];
  const events = data.slice(0, keepEvents).map(
    (d, seq): ExchangeEvent => ({
      type: 'sse-event',
      uid,
      event: { seq, offsetMs: 10 + seq, event: null, id: null, data: d },
    }),
  );
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt: Date.now(),
        clientAddress: '127.0.0.1:1',
        method: 'POST',
        scheme: 'https',
        host: 'relay.example',
        port: 443,
        path: '/v1/chat/completions',
        httpVersion: '1.1',
        headers: [['Content-Type', 'application/json']],
      },
    },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 5,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['Content-Type', 'text/event-stream']] },
    },
    ...events,
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { end: 40 },
      requestBody: body(request.length),
      responseBody: body(0),
    },
  ];
}

function store(): { store: CaptureStore; reader: ExchangeReader } {
  const db = openDatabase(tempDir());
  return {
    store: new CaptureStore(db, (exchange, bodies, context) => analyzeEnded(exchange, bodies, context).facts),
    reader: new ExchangeReader(db),
  };
}

describe('content storage leaves out', () => {
  it('is counted in the exchange notes, and the stream is not diagnosed as cut: the client got every event', () => {
    const { store: s, reader } = store();
    // A bound the stream's events exceed: the newest payloads are left out, [DONE] among them.
    const backlog = new Backlog(6000, 'storage was too far behind');
    const report = backlog.add(chatStream('shed'));
    expect(report.events).toBeGreaterThan(0);
    expect(report.exchanges).toBe(0);
    const taken = backlog.take();
    const kept = taken.filter((e) => e.type === 'sse-event').length;
    expect(kept).toBe(21 - report.events);
    expect(taken.some((e) => e.type === 'sse-event' && e.event.data === '[DONE]')).toBe(false);
    const [id] = s.apply(taken);
    const ex = reader.get(id)!;
    expect(ex.state).toBe('complete');
    expect(ex.eventCount).toBe(kept);
    expect(ex.notes).toEqual([
      expect.stringMatching(
        new RegExp(
          `^storage left out ${report.events} SSE event\\(s\\) \\(\\d+ bytes\\) of this exchange because storage was too far behind`,
        ),
      ),
    ]);
    expect(ex.diagnosis).toBeNull();
  });

  it('while a stream that really lost its end, with nothing left out by storage, is diagnosed as cut', () => {
    const { store: s, reader } = store();
    const [id] = s.apply(chatStream('cut', 12));
    const ex = reader.get(id)!;
    expect(ex.notes).toBeUndefined();
    expect(ex.diagnosis?.summary).toMatch(/The stream stopped before its terminal event/);
  });

  it('counts WebSocket messages too, and the whole exchanges it drops', () => {
    const backlog = new Backlog(2000, 'storage was failing');
    const uid = 'ws';
    const messages = Array.from(
      { length: 10 },
      (_, seq): ExchangeEvent => ({
        type: 'ws-message',
        uid,
        message: { seq, offsetMs: seq, direction: 'receive', opcode: 1, payload: new Uint8Array(300) },
      }),
    );
    const report = backlog.add([chatStream(uid)[0], ...messages]);
    expect(report.events).toBeGreaterThan(0);
    backlog.add([
      { type: 'end', uid, state: 'complete', error: null, timings: {}, requestBody: body(0), responseBody: body(0) },
    ]);
    const end = backlog.take().find((e) => e.type === 'end')!;
    expect(end.type === 'end' && end.notes).toEqual([
      expect.stringMatching(
        new RegExp(
          `^storage left out ${report.events} WebSocket message\\(s\\) \\(${report.events * 300} bytes\\) of this exchange because storage was failing`,
        ),
      ),
    ]);
  });
});

describe('the recovery batches of what waited', () => {
  it('take the oldest events first, one at least, within the count and bytes asked for; the waiting count falls as they go', () => {
    const backlog = new Backlog(1024 * 1024);
    for (const uid of ['a', 'b', 'c']) backlog.add(chatStream(uid));
    expect(backlog.waitingExchanges()).toBe(3);
    const first = backlog.takeFirst(16, 64 * 1024);
    expect(first).toHaveLength(16);
    expect(first.every((e) => e.uid === 'a')).toBe(true);
    // Bytes bound the batch before the count does; never below one event.
    expect(backlog.takeFirst(100, 1)).toHaveLength(1);
    const rest = backlog.takeFirst(1000, 64 * 1024 * 1024);
    expect(rest.map((e) => e.uid).slice(-1)).toEqual(['c']);
    expect(backlog.waitingExchanges()).toBe(0);
    expect(backlog.bytes).toBe(0);
  });
});

describe('what the console says about storage', () => {
  it('one line as storage starts leaving content out, one as it stops, with the counts: thousands of batches, two lines', () => {
    const lines: string[] = [];
    const news = new StorageNews((l) => lines.push(l));
    let at = 0;
    // The soak's case: a shed report (of 0 exchanges) per batch, for minutes.
    for (let i = 0; i < 4000; i++)
      news.shed(
        { exchanges: 0, events: 1, bytes: 100 },
        'storage fell behind by more than 64 MB of captures',
        (at += 50),
      );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^storage is leaving content out to bound memory because storage fell behind by more than 64 MB of captures/,
    );
    news.update(null, at + 100);
    expect(lines).toHaveLength(1);
    news.update(null, at + 2500);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe(
      'storage stopped leaving content out: in all 0 exchange(s) left out whole, 4000 SSE event(s) or WebSocket message(s), 400000 byte(s), and the rest of 0 body(ies)',
    );
  });

  it('behind, then caught up: one line each, the second with the worst figures; falling behind again within 5 s is the same episode', () => {
    const lines: string[] = [];
    const news = new StorageNews((l) => lines.push(l));
    news.update(null, 0);
    for (let i = 1; i <= 1000; i++) news.update({ exchanges: i, seconds: 1 + i / 100 }, i);
    // Kept up for a moment, behind again, kept up again: one episode on a machine just short of CPU.
    news.update(null, 2000);
    news.update({ exchanges: 3, seconds: 1.2 }, 4000);
    news.update(null, 8999);
    expect(news.behind).toBeNull();
    expect(lines).toHaveLength(1);
    news.update(null, 9000);
    news.update(null, 20_000);
    expect(lines).toEqual([
      'storage is behind: 1 ended exchange(s) not stored yet, the oldest 1.0 s ago; rows show late (nothing is lost while it catches up)',
      'storage caught up (it was behind by up to 1000 exchange(s) / 11 s)',
    ]);
  });

  it('says nothing of being behind or leaving out while failing: the failure is said by the writer', () => {
    const lines: string[] = [];
    const news = new StorageNews((l) => lines.push(l));
    news.failed();
    news.shed({ exchanges: 2 }, 'storage was failing', 0);
    news.update(null, 10_000);
    expect(lines).toHaveLength(1);
    news.recovered();
    expect(lines[1]).toMatch(/^storage stopped leaving content out: in all 2 exchange\(s\) left out whole/);
  });
  it('says each line in the language it is given: a Chinese reader reads Chinese, the figures the same', () => {
    const lines: string[] = [];
    const t = createI18n('zh-CN').t;
    const news = new StorageNews((l) => lines.push(l), t);
    news.update({ exchanges: 15, seconds: 1.25 }, 0);
    news.update(null, 6000);
    news.shed({ bodies: 1 }, t('storageNews.why.noRoom', { seconds: 1 }), 7000);
    news.update(null, 10_000);
    expect(lines).toEqual([
      '存储跟不上了：15 条已结束的请求还没写入，最早的一条等了 1.3 秒；列表里会晚一点出现（追上之前不会丢）',
      '存储已经追上（最多落后 15 条 / 1.3 秒）',
      '为了控制内存，存储开始少存一部分内容，原因：存储连续 1 秒没有空间接收更多 body 字节；受影响的每条请求都会在备注里写明，流量本身照常完整转发',
      '存储不再少存内容：这期间整条没存的请求 0 条，没存的 SSE 事件或 WebSocket 消息 0 条，共 0 字节，另有 1 个 body 只存了前面一部分',
    ]);
  });
});
