// A field of any size (a 20 MB header, URL, method or error, 100,000 headers) is stored within
// its bound (model/head-bounds.ts) with a note saying what was cut and how big it was; the list,
// its live updates and the detail answer in a bounded number of bytes whatever the rows hold;
// and traffic alongside keeps flowing. Sizes and counts are asserted, never times.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import { HEAD_LIMITS } from '../model/head-bounds.ts';
import { headerValue, type Exchange, type ExchangeEvent, type Header } from '../model/exchange.ts';
import { ExchangeRecorder } from '../proxy/recorder.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { eventually, startHarness, tempDir, type Harness } from './support/harness.ts';

const MB = 1024 * 1024;
const HUGE = 20 * MB;
const huge = (c: string) => c.repeat(HUGE);

let h: Harness;
let api: string;
let upstream: http.Server;
let upstreamUrl: string;

beforeAll(async () => {
  h = await startHarness();
  api = `${h.wirelog.viewer!.url}/api`;
  // A plain-HTTP upstream whose answers have heads as large as wirelog relays (under 256 KB).
  upstream = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/tiny-headers') {
      const n = Number(url.searchParams.get('n'));
      const flat = Array.from({ length: n }, (_, i) => [`h${i.toString(36)}`, '1']).flat();
      res.writeHead(200, [...flat, 'Content-Type', 'text/plain', 'Content-Length', '2']);
      return void res.end('ok');
    }
    if (url.pathname === '/long-header') {
      res.writeHead(200, {
        'X-Long': 'v'.repeat(Number(url.searchParams.get('kb')) * 1024),
        'Content-Type': 'text/plain',
        'Content-Length': '2',
      });
      return void res.end('ok');
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '5' });
    res.end('small');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => upstream?.close(resolve));
  await h?.close();
});

/** A GET through the proxy with a client that takes heads as large as wirelog relays; the raw header pairs and the status. */
function viaProxy(path: string): Promise<{ status: number; headers: Header[] }> {
  const proxy = new URL(h.proxyUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: proxy.hostname,
        port: Number(proxy.port),
        path: `${upstreamUrl}${path}`,
        maxHeaderSize: 512 * 1024,
        agent: false,
      },
      (res) => {
        const headers: Header[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers }));
      },
    );
    // Node's client drops headers past 2,000 unless told not to.
    req.maxHeadersCount = 0;
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer to ${path} within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function bytesOf(url: string): Promise<{ status: number; bytes: number; text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, bytes: Buffer.byteLength(text), text };
}

/** One finished exchange whose request head (and response head, end) are changed by `edit`. */
function exchangeWith(i: number, edit: (events: ExchangeEvent[]) => void): { uid: string; events: ExchangeEvent[] } {
  const events = finishedExchange(i);
  edit(events);
  return { uid: events[0].uid, events };
}

const requestHead = (events: ExchangeEvent[]) => (events[0] as Extract<ExchangeEvent, { type: 'request' }>).head;
const responseHead = (events: ExchangeEvent[]) => (events[2] as Extract<ExchangeEvent, { type: 'response-head' }>).head;
const endOf = (events: ExchangeEvent[]) => events[4] as Extract<ExchangeEvent, { type: 'end' }>;
const manyHeaders = (n: number): Header[] => Array.from({ length: n }, (_, i) => [`x-many-${i}`, `v${i}`]);

describe('stored through the store (as an import, a replay or any source does)', () => {
  const made = {
    value: exchangeWith(1, (e) => requestHead(e).headers.push(['x-foo', huge('a')])),
    url: exchangeWith(2, (e) => (requestHead(e).path = `/v1/chat/completions?q=${huge('u')}`)),
    method: exchangeWith(3, (e) => (requestHead(e).method = huge('M'))),
    many: exchangeWith(4, (e) => {
      requestHead(e).headers.push(...manyHeaders(100_000));
      responseHead(e).headers.push(...manyHeaders(100_000));
    }),
    rest: exchangeWith(5, (e) => {
      requestHead(e).host = huge('h');
      requestHead(e).clientAddress = huge('c');
      responseHead(e).statusText = huge('s');
      endOf(e).error = huge('e');
      endOf(e).responseTrailers = [['x-trailer', huge('t')]];
    }),
  };
  const stored: Record<keyof typeof made, Exchange> = {} as never;

  beforeAll(async () => {
    // Small requests through the proxy while the huge exchanges are stored: all of them are answered.
    const small = Array.from({ length: 20 }, (_, i) => viaProxy(`/small?n=${i}`));
    const ids = await h.wirelog.writer.importEvents(Object.values(made).flatMap((m) => m.events));
    expect(ids.length).toBe(Object.keys(made).length);
    const answered = await Promise.all(small);
    expect(answered.filter((a) => a.status === 200).length).toBe(20);
    for (const [name, m] of Object.entries(made)) stored[name as keyof typeof made] = h.wirelog.reader.byUid(m.uid)!;
  }, 120_000);

  it('stores each field within its bound, and a note says what was cut and how big it was', () => {
    const { value, url, method, many, rest } = stored;
    expect(headerValue(value.request.headers, 'x-foo')).toHaveLength(HEAD_LIMITS.headerValue);
    expect(value.notes).toEqual(['request header x-foo: 20 MB (20,971,520 bytes), stored the first 256 KB']);
    // The headers around the cut one are all kept: the body is still shown by its Content-Type.
    expect(headerValue(value.request.headers, 'content-type')).toBe('application/json');

    expect(url.request.path.length).toBe(HEAD_LIMITS.path);
    expect(url.notes).toEqual([
      expect.stringMatching(/^request URL path: 20 MB \(20,971,5\d\d bytes\), stored the first 64 KB$/),
    ]);

    expect(method.request.method).toBe('M'.repeat(HEAD_LIMITS.method));
    expect(method.notes).toEqual(['request method: 20 MB (20,971,520 bytes), stored the first 64 B']);

    expect(many.request.headers.length).toBe(HEAD_LIMITS.headerCount);
    expect(many.response!.headers.length).toBe(HEAD_LIMITS.headerCount);
    expect(many.request.headers.slice(0, 3).map(([name]) => name)).toEqual(['Host', 'Content-Type', 'x-many-0']);
    expect(many.notes).toEqual([
      expect.stringMatching(
        /^100,002 request headers: the first 2,000 stored \(.+\); at most 2,000 headers of a head are stored$/,
      ),
      expect.stringMatching(
        /^100,001 response headers: the first 2,000 stored \(.+\); at most 2,000 headers of a head are stored$/,
      ),
    ]);

    expect(rest.request.host.length).toBe(HEAD_LIMITS.host);
    expect(rest.request.clientAddress.length).toBe(HEAD_LIMITS.host);
    expect(rest.response!.statusText.length).toBe(HEAD_LIMITS.short);
    expect(rest.error!.length).toBe(HEAD_LIMITS.error);
    expect(rest.response!.trailers![0][1].length).toBe(HEAD_LIMITS.headerValue);
    expect(rest.notes).toEqual([
      'request host: 20 MB (20,971,520 bytes), stored the first 1 KB',
      'client address: 20 MB (20,971,520 bytes), stored the first 1 KB',
      'response status text: 20 MB (20,971,520 bytes), stored the first 1 KB',
      'error: 20 MB (20,971,520 bytes), stored the first 16 KB',
      'response trailer x-trailer: 20 MB (20,971,520 bytes), stored the first 256 KB',
    ]);
  });

  it('stores rows of bounded size: no column of these exchanges holds more than its bound', () => {
    const db = new Database(databasePath(h.dataDir), { readonly: true });
    try {
      const ids = Object.values(stored).map((e) => e.id);
      const widest = db
        .prepare(`SELECT max(octet_length(method)) AS method, max(octet_length(path)) AS path, max(octet_length(host)) AS host, max(octet_length(request_headers)) AS requestHeaders,
          max(octet_length(response_headers)) AS responseHeaders, max(octet_length(error)) AS error, max(octet_length(notes)) AS notes FROM exchanges WHERE id IN (${ids.join(',')})`)
        .get() as Record<string, number>;
      expect(widest.method).toBeLessThanOrEqual(HEAD_LIMITS.method);
      expect(widest.path).toBeLessThanOrEqual(HEAD_LIMITS.path);
      expect(widest.host).toBeLessThanOrEqual(HEAD_LIMITS.host);
      expect(widest.error).toBeLessThanOrEqual(HEAD_LIMITS.error);
      // JSON of the pairs: the head's bytes and a few per header of quoting.
      expect(widest.requestHeaders).toBeLessThanOrEqual(HEAD_LIMITS.headBytes + 8 * HEAD_LIMITS.headerCount);
      expect(widest.responseHeaders).toBeLessThanOrEqual(HEAD_LIMITS.headBytes + 8 * HEAD_LIMITS.headerCount);
      expect(widest.notes).toBeLessThan(4096);
    } finally {
      db.close();
    }
  });

  it('answers the detail of each within a bounded size, with the note', async () => {
    for (const exchange of Object.values(stored)) {
      const detail = await bytesOf(`${api}/exchanges/${exchange.id}`);
      expect(detail.status).toBe(200);
      expect(detail.bytes).toBeLessThan(1.5 * MB);
      expect((JSON.parse(detail.text) as { exchange: Exchange }).exchange.notes).toEqual(exchange.notes);
    }
  });

  it('exports the notes to HAR, as _wirelogNotes and in the comment', async () => {
    const har = await bytesOf(`${api}/export.har?id=${stored.value.id}`);
    expect(har.bytes).toBeLessThan(1.5 * MB);
    const entry = (JSON.parse(har.text) as { log: { entries: { _wirelogNotes: string[]; comment: string }[] } }).log
      .entries[0];
    expect(entry._wirelogNotes).toEqual(stored.value.notes);
    expect(entry.comment).toContain('request header x-foo: 20 MB (20,971,520 bytes), stored the first 256 KB');
  });
});

describe('the forwarding thread', () => {
  it('hands storage heads already bounded: what it masks and encodes per exchange is bounded, whatever the heads hold', () => {
    const events: ExchangeEvent[] = [];
    const recorder = new ExchangeRecorder(
      {
        sink: { emit: (e) => events.push(e) },
        maxBodyBytes: MB,
        keepSecrets: false,
        onSinkError: (err) => {
          throw err;
        },
      },
      {
        ...requestHead(finishedExchange(7)),
        headers: [['Authorization', `Bearer ${huge('k')}`], ...manyHeaders(100_000)],
      },
    );
    recorder.responseHead({ status: 200, statusText: 'OK', httpVersion: '1.1', headers: manyHeaders(100_000) });
    recorder.responseTrailers(manyHeaders(100_000));
    recorder.end('complete');
    const request = events.find((e) => e.type === 'request')!.head;
    const response = (
      events.find((e) => e.type === 'response-head') as Extract<ExchangeEvent, { type: 'response-head' }>
    ).head;
    const end = events.find((e) => e.type === 'end') as Extract<ExchangeEvent, { type: 'end' }>;
    expect([request.headers.length, response.headers.length, end.responseTrailers!.length]).toEqual([2000, 2000, 2000]);
    // Cut, then masked: the secret is neither stored nor noted.
    expect(request.headers[0]).toEqual(['Authorization', 'Bearer ****kkkk']);
    expect(request.notes).toEqual([
      'request header Authorization: 20 MB (20,971,527 bytes), stored the first 256 KB',
      expect.stringMatching(/^100,001 request headers: the first 2,000 stored/),
    ]);
    expect(response.notes).toEqual([expect.stringMatching(/^100,000 response headers: the first 2,000 stored/)]);
    expect(end.notes).toEqual([expect.stringMatching(/^100,000 response trailers: the first 2,000 stored/)]);
  });
});

describe('a live response with a head as large as wirelog relays', () => {
  it('relays every header whole, stores a 200 KB header whole, and 20,000 headers as their first 2,000 with a note', async () => {
    const small = Array.from({ length: 10 }, (_, i) => viaProxy(`/small?live=${i}`));
    const [long, many] = await Promise.all([viaProxy('/long-header?kb=200'), viaProxy('/tiny-headers?n=20000')]);
    expect((await Promise.all(small)).filter((a) => a.status === 200).length).toBe(10);
    // The traffic is not cut: only what is stored is.
    expect(headerValue(long.headers, 'x-long')).toHaveLength(200 * 1024);
    expect(many.headers.filter(([name]) => /^h[0-9a-z]+$/.test(name)).length).toBe(20_000);
    await h.stored();
    const latest = (path: string) => h.wirelog.reader.list({ limit: 100 }).find((e) => e.request.path === path)!;
    const storedLong = latest('/long-header?kb=200');
    expect(headerValue(storedLong.response!.headers, 'x-long')).toHaveLength(200 * 1024);
    expect(storedLong.notes).toBeUndefined();
    const storedMany = latest('/tiny-headers?n=20000');
    expect(storedMany.response!.headers.length).toBe(HEAD_LIMITS.headerCount);
    expect(storedMany.notes).toEqual([
      expect.stringMatching(
        /^20,00\d response headers: the first 2,000 stored \(.+\); at most 2,000 headers of a head are stored$/,
      ),
    ]);
    const detail = await bytesOf(`${api}/exchanges/${storedMany.id}`);
    expect(detail.bytes).toBeLessThan(256 * 1024);
  }, 60_000);
});

describe('the list', () => {
  // Rows as an older wirelog could have stored them, every text column 32 KB (and usage that is not a few figures).
  const ROWS = 100;
  const WIDE = 32 * 1024;

  beforeAll(() => {
    const db = new Database(databasePath(h.dataDir));
    try {
      const wide = (c: string) => `replace(hex(zeroblob(${WIDE / 2})), '0', '${c}')`;
      const insert =
        db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, response_headers, status, state, error,
          dialect, model, thread_key, diagnosis_severity, diagnosis, usage, notes)
        VALUES (?, ?, ${wide('c')}, ${wide('M')}, 'https', ${wide('h')}, 443, '/' || ${wide('p')}, '1.1', '[["x-wide", "' || ${wide('v')} || '"]]', '[]', 200, 'complete', ${wide('e')},
          ${wide('d')}, ${wide('m')}, ${wide('t')}, 'error', ${wide('s')}, '{"input": 1, "x": "' || ${wide('u')} || '"}', ${wide('n')})`);
      db.transaction(() => {
        for (let i = 0; i < ROWS; i++) {
          insert.run(`wide-${i}`, Date.now());
        }
      })();
    } finally {
      db.close();
    }
  });

  it('answers a page of 100 rows with 32 KB in every text column in under 400 KB, each text clipped with …', async () => {
    const page = await bytesOf(`${api}/exchanges?limit=${ROWS}`);
    expect(page.status).toBe(200);
    // 100 rows of at most about 3 KB: the list's display lengths (model/summary.ts), never the stored texts.
    expect(page.bytes).toBeLessThan(400 * 1024);
    const rows = (
      JSON.parse(page.text) as {
        exchanges: {
          method: string;
          url: string;
          host: string;
          error: string;
          notes: string;
          call: { model: string };
        }[];
      }
    ).exchanges;
    expect(rows.length).toBe(ROWS);
    for (const row of rows) {
      for (const text of [row.method, row.url, row.host, row.error, row.notes, row.call.model])
        expect(text.endsWith('…')).toBe(true);
    }
  });

  it('sends the live update of an exchange with huge fields as a row of the same bounded size', async () => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 30_000);
    try {
      const res = await fetch(`${api}/live`, { signal: abort.signal });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const more = async () => {
        const { value, done } = await reader.read();
        if (done) throw new Error('the live stream ended');
        text += decoder.decode(value, { stream: true });
      };
      // Subscribed once the hello arrives: what is stored next is pushed to this stream.
      while (!text.includes('event: hello')) await more();
      const made = exchangeWith(6, (e) => {
        requestHead(e).path = `/v1/chat/completions?q=${huge('u')}`;
        endOf(e).error = huge('e');
      });
      const [id] = await h.wirelog.writer.importEvents(made.events);
      const update = await eventually(
        async () => {
          await more();
          return text
            .split('\n\n')
            .find((block) => block.startsWith('event: exchange') && block.split('\n').includes(`id: ${id}`));
        },
        'the live update of the exchange',
        30_000,
      );
      expect(Buffer.byteLength(update)).toBeLessThan(4096);
      const row = JSON.parse(
        update
          .split('\n')
          .find((line) => line.startsWith('data: '))!
          .slice(6),
      ) as { url: string; error: string; notes: string };
      expect([row.url, row.error].every((t) => t.endsWith('…'))).toBe(true);
      expect(row.notes.split('\n')).toEqual([
        expect.stringMatching(/^request URL path: 20 MB/),
        expect.stringMatching(/^error: 20 MB/),
      ]);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  }, 60_000);
});

describe('rows an earlier wirelog stored whole', () => {
  it('are cut to the bounds once, when the database is upgraded, each cut noted; other rows are left as they were', () => {
    const dir = tempDir();
    // A database as the version before the bounds left it (schema 8), with a row of each kind.
    let db = openDatabase(dir, 8);
    const insert =
      db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, response_headers, status, status_text, state, error)
      VALUES (?, 1, '127.0.0.1:1', ?, 'https', 'relay.example', 443, ?, '1.1', ?, ?, 200, 'OK', 'complete', ?)`);
    const pairs = (headers: Header[]) => JSON.stringify(headers);
    insert.run('method', huge('M'), '/fine', pairs([['Host', 'relay.example']]), '[]', null);
    insert.run(
      'many',
      'GET',
      `/${huge('p')}`,
      pairs([
        ['Host', 'relay.example'],
        ['x-foo', huge('v')],
      ]),
      pairs(manyHeaders(100_000)),
      huge('e'),
    );
    insert.run(
      'fine',
      'GET',
      '/fine',
      pairs([['Host', 'relay.example']]),
      pairs([['Content-Type', 'text/plain']]),
      'refused',
    );
    db.close();

    db = openDatabase(dir);
    try {
      const reader = new ExchangeReader(db);
      const method = reader.byUid('method')!;
      expect(method.request.method).toBe('M'.repeat(HEAD_LIMITS.method));
      expect(method.notes).toEqual([
        'request method: 20,971,520 bytes, stored the first 64 characters (stored by an earlier wirelog, cut when it was upgraded)',
      ]);
      const many = reader.byUid('many')!;
      expect(many.request.path).toHaveLength(HEAD_LIMITS.path);
      expect(headerValue(many.request.headers, 'x-foo')).toHaveLength(HEAD_LIMITS.headerValue);
      expect(many.response!.headers).toHaveLength(HEAD_LIMITS.headerCount);
      expect(many.error).toHaveLength(HEAD_LIMITS.error);
      expect(many.notes).toEqual([
        expect.stringMatching(/^request URL path: 20,971,521 bytes, stored the first 65,536 characters/),
        expect.stringMatching(/^error: 20,971,520 bytes, stored the first 16,384 characters/),
        expect.stringMatching(
          /^2 request headers, 20,971,5\d\d bytes: stored the first of them within 2,000 headers and 512 KB, each value within 256 KB/,
        ),
        expect.stringMatching(/^100,000 response headers, [\d,]+ bytes: stored the first of them within 2,000 headers/),
      ]);
      expect(JSON.stringify(many).length).toBeLessThan(1.5 * MB);
      const fine = reader.byUid('fine')!;
      expect([fine.request.path, fine.error, fine.notes, fine.response!.headers]).toEqual([
        '/fine',
        'refused',
        undefined,
        [['Content-Type', 'text/plain']],
      ]);
    } finally {
      db.close();
    }
  });
});
