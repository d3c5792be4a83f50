// proxy/sse-capture.ts (SseTap) against the WHATWG HTML rules for interpreting an event stream
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// the stream is UTF-8 with one leading BOM stripped; a line ends at CRLF, LF or CR; a blank line
// dispatches the event when its data buffer is not empty; `:` starts a comment; a field's value
// loses one leading space; `data` lines join with LF; `retry` and unknown fields make no event;
// an `id` holding NUL is ignored. The stream may arrive cut at any byte. The tap adds wirelog's
// own rules: a stream that ends cleanly counts its unterminated last event, one that broke off
// does not; a compressed stream is split once decoded.
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Header } from '../model/exchange.ts';
import type { ExchangeRecorder } from '../proxy/recorder.ts';
import { serverText } from '../i18n/stored-text.ts';
import { MAX_PENDING_EVENT_BYTES } from '../model/sse-split.ts';
import { DECODER_SETTLE_MS, SseTap } from '../proxy/sse-capture.ts';

interface Seen {
  event: string | null;
  id: string | null;
  data: string;
}

/** A recorder that keeps the events the tap hands it (the tap uses nothing else of it). */
function recording(): { events: Seen[]; recorder: ExchangeRecorder } {
  const events: Seen[] = [];
  const recorder = { sseEvent: (e: Seen) => events.push({ event: e.event, id: e.id, data: e.data }) };
  return { events, recorder: recorder as unknown as ExchangeRecorder };
}

const bytes = (chunk: string | Buffer) => (Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'utf8'));

/** The events of an identity stream fed in these chunks, then ended (or broken off). */
function eventsOf(chunks: (string | Buffer)[], close: 'end' | 'abort' = 'end'): Seen[] {
  const { events, recorder } = recording();
  const tap = new SseTap(recorder);
  for (const chunk of chunks) tap.write(bytes(chunk));
  if (close === 'end') tap.end();
  else tap.abort();
  return events;
}

const message = (data: string, extra: Partial<Seen> = {}): Seen => ({ event: null, id: null, data, ...extra });

describe('line ends: CRLF, LF and CR', () => {
  const lines = ['event: delta', 'id: 7', 'data: {"a":1}', 'data: {"b":2}', '', 'data: [DONE]', '', ''];
  const expected = [message('{"a":1}\n{"b":2}', { event: 'delta', id: '7' }), message('[DONE]')];

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('%s ends lines', (_name, eol) => {
    expect(eventsOf([lines.join(eol)])).toEqual(expected);
  });

  it('one stream may mix them', () => {
    expect(eventsOf(['event: delta\rid: 7\r\ndata: {"a":1}\ndata: {"b":2}\r\n\rdata: [DONE]\n\r\n'])).toEqual(expected);
  });

  it('CR then LF is one line end, not a line end and a blank line', () => {
    // Were the LF a second (blank) line, "a" would be dispatched alone.
    expect(eventsOf(['data: a\r\ndata: b\r\n\r\n'])).toEqual([message('a\nb')]);
  });

  it('an event ended by CR CR is recorded when its second CR arrives, not when more bytes come', () => {
    const { events, recorder } = recording();
    const tap = new SseTap(recorder);
    tap.write(bytes('data: a\r\r'));
    expect(events).toEqual([message('a')]);
    tap.write(bytes('\ndata: b\r\r'));
    expect(events).toEqual([message('a'), message('b')]);
    tap.end();
    expect(events).toEqual([message('a'), message('b')]);
  });

  it('an event ended by CR CR counts when the stream breaks off right after it', () => {
    expect(eventsOf(['data: a\r\r'], 'abort')).toEqual([message('a')]);
  });
});

describe('fields', () => {
  it('one leading space is dropped from a value, and only one', () => {
    expect(eventsOf(['data:x\n\ndata: x\n\ndata:  x\n\n'])).toEqual([message('x'), message('x'), message(' x')]);
  });

  it('a value keeps the colons after the first', () => {
    expect(eventsOf(['data: a:b: c\n\n'])).toEqual([message('a:b: c')]);
  });

  it('data lines are joined with LF, and an empty data line adds an empty line', () => {
    expect(eventsOf(['data: a\ndata\ndata:\ndata: b\n\n'])).toEqual([message('a\n\n\nb')]);
  });

  it('an event whose only data is empty is still an event', () => {
    expect(eventsOf(['data\n\ndata:\n\n'])).toEqual([message(''), message('')]);
  });

  it('a blank line with no data dispatches nothing: event, id and retry alone, or nothing at all', () => {
    expect(eventsOf(['event: ping\n\nid: 3\n\nretry: 1000\n\n\n\n\n'])).toEqual([]);
  });

  it('an event type set without data does not leak into the next event', () => {
    expect(eventsOf(['event: ping\n\ndata: x\n\n'])).toEqual([message('x')]);
  });

  it('an empty event field leaves the default type', () => {
    expect(eventsOf(['event:\ndata: x\n\n'])).toEqual([message('x')]);
  });

  it('comments make no event and do not end the one being read', () => {
    expect(eventsOf([': keep-alive\n\ndata: a\n: ping\n:\ndata: b\n\n'])).toEqual([message('a\nb')]);
  });

  it('retry, valid or not, and unknown fields are ignored; the event around them stays whole', () => {
    expect(eventsOf(['retry: 3000\ndata: a\nretry: soon\nfoo: bar\nfoo\ndata: b\n\n'])).toEqual([message('a\nb')]);
  });

  it('field names are case-sensitive: "Data" is not data', () => {
    expect(eventsOf(['Data: x\nDATA: y\n\ndata: z\n\n'])).toEqual([message('z')]);
  });

  it('an id holding NUL is ignored; another is kept on its event', () => {
    expect(eventsOf(['id: a\0b\ndata: x\n\nid: 42\ndata: y\n\n'])).toEqual([message('x'), message('y', { id: '42' })]);
  });

  it('a value is text: multibyte UTF-8 comes through whole', () => {
    expect(eventsOf(['data: {"content":"你好 😀"}\n\n'])).toEqual([message('{"content":"你好 😀"}')]);
  });
});

describe('the byte order mark', () => {
  it('one leading BOM is stripped, so the first field is still read', () => {
    expect(eventsOf(['\uFEFFdata: x\n\n'])).toEqual([message('x')]);
  });

  it('a leading BOM cut between chunks is stripped too', () => {
    const whole = bytes('\uFEFFdata: x\n\n');
    for (const at of [1, 2, 3]) expect(eventsOf([whole.subarray(0, at), whole.subarray(at)])).toEqual([message('x')]);
  });

  it('only one: a second BOM is part of the field name, which then is not "data"', () => {
    expect(eventsOf(['\uFEFF\uFEFFdata: x\n\ndata: y\n\n'])).toEqual([message('y')]);
  });

  it('a BOM later in the stream is not stripped', () => {
    expect(eventsOf(['data: a\n\n', '\uFEFFdata: b\n\ndata: c\n\n'])).toEqual([message('a'), message('c')]);
  });
});

describe('a stream cut anywhere', () => {
  // Every rule above in one stream, with characters of two, three and four bytes.
  const stream = bytes(
    '\uFEFF: hello\r\nretry: 5000\nevent: delta\rid: 1\r\ndata: {"t":"é"}\r\ndata:你好\r\r' +
      'data: 😀\n\n: ping\r\nevent: done\ndata\n\ndata: [DONE]\r\n\r\n',
  );
  const expected = eventsOf([stream]);

  it('the stream itself gives what the rules say', () => {
    expect(expected).toEqual([
      message('{"t":"é"}\n你好', { event: 'delta', id: '1' }),
      message('😀'),
      message('', { event: 'done' }),
      message('[DONE]'),
    ]);
  });

  it('cut in two at every byte, the events are the same', () => {
    for (let at = 0; at <= stream.length; at++) {
      expect(eventsOf([stream.subarray(0, at), stream.subarray(at)]), `cut at byte ${at}`).toEqual(expected);
    }
  });

  it('fed one byte at a time, the events are the same', () => {
    expect(eventsOf([...stream].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it('cut in three at every pair of bytes, the events are the same', () => {
    for (let a = 1; a < stream.length; a += 3) {
      for (let b = a; b <= stream.length; b += 5) {
        const chunks = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)];
        expect(eventsOf(chunks), `cut at ${a} and ${b}`).toEqual(expected);
      }
    }
  });
});

describe("the stream's end", () => {
  it('a clean end counts the unterminated last event (its bytes came: often the last one, [DONE])', () => {
    expect(eventsOf(['data: a\n\ndata: [DONE]'])).toEqual([message('a'), message('[DONE]')]);
    expect(eventsOf(['data: a\n\ndata: [DONE]\n'])).toEqual([message('a'), message('[DONE]')]);
    expect(eventsOf(['data: a\n\ndata: [DONE]\r'])).toEqual([message('a'), message('[DONE]')]);
  });

  it('a stream that broke off drops its unterminated last event, as a browser does', () => {
    expect(eventsOf(['data: a\n\ndata: {"half":'], 'abort')).toEqual([message('a')]);
  });

  it('bytes written after the end are not split', () => {
    const { events, recorder } = recording();
    const tap = new SseTap(recorder);
    tap.write(bytes('data: a\n\n'));
    tap.end();
    tap.write(bytes('data: b\n\n'));
    tap.abort();
    expect(events).toEqual([message('a')]);
  });

  it('an identity stream is settled at once, and a stream not yet closed is taken as broken off', () => {
    const { events, recorder } = recording();
    const tap = new SseTap(recorder);
    tap.write(bytes('data: a\n\ndata: b'));
    const settled = vi.fn();
    tap.whenSettled(settled);
    expect(settled).toHaveBeenCalledTimes(1);
    expect(events).toEqual([message('a')]);
    expect(tap.stopped).toBeNull();
  });

  it('an event that grows past the bound without ending stops the split, and the tap says so (not a provider cut)', () => {
    const { events, recorder } = recording();
    const tap = new SseTap(recorder);
    tap.write(bytes('data: a\n\n'));
    expect(tap.stopped).toBeNull();
    // One event's data line, 1 MB at a time, past MAX_PENDING_EVENT_BYTES with no blank line.
    const megabyte = Buffer.alloc(1024 * 1024, 'x');
    tap.write(bytes('data: '));
    for (let i = 0; i * megabyte.length <= MAX_PENDING_EVENT_BYTES; i++) tap.write(megabyte);
    tap.write(bytes('\n\ndata: [DONE]\n\n'));
    tap.end();
    expect(events).toEqual([message('a')]);
    expect(tap.stopped).toBe(serverText('en', 'stored.eventTooLong', { mb: MAX_PENDING_EVENT_BYTES / (1024 * 1024) }));
  });
});

describe('which responses are tapped', () => {
  const tapOf = (headers: Header[]) => SseTap.forResponse(headers, recording().recorder);

  it('an event stream, by its media type whatever its case and parameters', () => {
    expect(tapOf([['Content-Type', 'text/event-stream']])).not.toBeNull();
    expect(tapOf([['content-type', 'Text/Event-Stream; charset=utf-8']])).not.toBeNull();
    expect(tapOf([['Content-Type', ' text/event-stream;charset=UTF-8']])).not.toBeNull();
  });

  it('anything else is not', () => {
    expect(tapOf([['Content-Type', 'application/json']])).toBeNull();
    expect(tapOf([['Content-Type', 'text/event-streaming']])).toBeNull();
    expect(tapOf([['Content-Type', 'text/plain; note=text/event-stream']])).toBeNull();
    expect(tapOf([])).toBeNull();
  });

  it('content codings are matched case-insensitively (RFC 9110 8.4.1), identity is none', () => {
    const sse: Header = ['Content-Type', 'text/event-stream'];
    for (const coding of ['identity', 'GZIP', 'x-gzip', 'Deflate', 'br', 'zstd', ' gzip '])
      expect(tapOf([sse, ['Content-Encoding', coding]]), coding).not.toBeNull();
  });

  it('a coding it cannot decode, or several layered, is not tapped (the bytes still pass and are stored)', () => {
    const sse: Header = ['Content-Type', 'text/event-stream'];
    for (const coding of ['compress', 'gzip, br', 'snappy'])
      expect(tapOf([sse, ['Content-Encoding', coding]]), coding).toBeNull();
  });
});

describe('a compressed stream', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const text = 'event: delta\ndata: {"a":"你好"}\n\ndata: [DONE]';
  const expected = [message('{"a":"你好"}', { event: 'delta' }), message('[DONE]')];
  const encoded: Record<string, Buffer> = {
    gzip: zlib.gzipSync(text),
    deflate: zlib.deflateSync(text),
    // Some servers send raw deflate under the name `deflate`.
    'deflate (raw)': zlib.deflateRawSync(text),
    br: zlib.brotliCompressSync(text),
  };

  /** Feeds the encoded bytes in chunks of `size`, closes, and waits for the tap to settle. */
  async function decoded(coding: string, body: Buffer, size: number, close: 'end' | 'abort' = 'end') {
    const { events, recorder } = recording();
    const tap = SseTap.forResponse(
      [
        ['Content-Type', 'text/event-stream'],
        ['Content-Encoding', coding],
      ],
      recorder,
    );
    if (!tap) throw new Error(`no tap for ${coding}`);
    for (let i = 0; i < body.length; i += size) tap.write(body.subarray(i, i + size));
    if (close === 'end') tap.end();
    else tap.abort();
    await new Promise<void>((resolve) => tap.whenSettled(resolve));
    return { events, stopped: tap.stopped };
  }

  it.each(Object.keys(encoded))('%s: the events come out once it settles, in chunks of any size', async (name) => {
    const coding = name.split(' ')[0];
    for (const size of [1, 7, encoded[name].length]) {
      expect(await decoded(coding, encoded[name], size)).toEqual({ events: expected, stopped: null });
    }
  });

  it('broken off, the decoded events stay and the unterminated last one does not', async () => {
    expect(await decoded('gzip', encoded.gzip, 5, 'abort')).toEqual({ events: expected.slice(0, 1), stopped: null });
  });

  it('bytes that do not decode stop the split and say so; the tap still settles', async () => {
    const { events, stopped } = await decoded('gzip', Buffer.from('data: not gzip at all\n\n'), 64);
    expect(events).toEqual([]);
    expect(stopped).toMatch(/gzip/);
  });

  it('a compressed body that ends within its first two bytes still settles, with what it held decoded', async () => {
    // Deflate's first two bytes tell a zlib wrapper from raw deflate: one byte is held until the end.
    expect(await decoded('deflate', Buffer.alloc(0), 1)).toEqual({ events: [], stopped: null });
    const oneByte = await decoded('deflate', encoded.deflate.subarray(0, 1), 1);
    expect(oneByte.events).toEqual([]);
    const whole = zlib.deflateSync('data: x\n\n');
    expect(await decoded('deflate', whole, 1)).toEqual({ events: [message('x')], stopped: null });
  });

  it('every waiter runs once when it settles', async () => {
    const { recorder } = recording();
    const tap = new SseTap(recorder, 'gzip');
    tap.write(encoded.gzip);
    tap.end();
    const first = vi.fn();
    const second = vi.fn();
    tap.whenSettled(first);
    await new Promise<void>((resolve) => tap.whenSettled(resolve));
    tap.whenSettled(second);
    expect([first.mock.calls.length, second.mock.calls.length]).toEqual([1, 1]);
  });

  it(`a decoder still busy ${DECODER_SETTLE_MS / 1000} s after the end is stopped, and that is said`, () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { recorder } = recording();
    const tap = new SseTap(recorder, 'gzip');
    tap.write(encoded.gzip);
    tap.end();
    const settled = vi.fn();
    // zlib answers on a later turn of the event loop: this turn, the decoder is still busy.
    tap.whenSettled(settled);
    expect(settled).not.toHaveBeenCalled();
    vi.advanceTimersByTime(DECODER_SETTLE_MS);
    expect(settled).toHaveBeenCalledTimes(1);
    expect(tap.stopped).toMatch(/10 s/);
  });
});
