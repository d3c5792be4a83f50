// proxy/headers.ts against RFC 9110 7.6.1 (Connection): a proxy removes the Connection field,
// every field it names as a connection option, and the hop-by-hop fields (Keep-Alive, TE,
// Transfer-Encoding framing aside, Upgrade, Proxy-*), and forwards every other field as it came:
// its case, its order, repeated fields each in place (RFC 9110 5.3). Options are matched
// case-insensitively and a list may hold empty elements and spaces (RFC 9110 5.6.1). RFC 6455
// 4.1: a WebSocket handshake keeps Connection: Upgrade and Upgrade: websocket, and its Sec-WebSocket-*
// fields. Trailer fields (RFC 9110 6.5) travel with the end of a chunked body.
import { describe, expect, it } from 'vitest';
import type { Header } from '../model/exchange.ts';
import { addTrailers, forwardableHeaders, headerPairs, responseHeadersFor, trailersOf } from '../proxy/headers.ts';

/** [k, v, k, v] back to pairs, to compare with what went in. */
const pairs = (flat: string[]): Header[] => headerPairs(flat);
const names = (flat: string[]) => pairs(flat).map(([name]) => name);

describe("Node's raw headers as pairs", () => {
  it('keeps case, order and repeats', () => {
    expect(headerPairs(['Host', 'a', 'accept', 'x', 'Accept', 'y'])).toEqual([
      ['Host', 'a'],
      ['accept', 'x'],
      ['Accept', 'y'],
    ]);
  });

  it('an odd last name without a value is left out, and none gives none', () => {
    expect(headerPairs(['Host', 'a', 'X-Lone'])).toEqual([['Host', 'a']]);
    expect(headerPairs([])).toEqual([]);
  });
});

describe('headers forwarded to the next hop', () => {
  it('every end-to-end field goes on as it came: case, order, repeats', () => {
    const end2end: Header[] = [
      ['Host', 'api.example'],
      ['authorization', 'Bearer sk-1'],
      ['Accept', 'text/event-stream'],
      ['X-Custom', 'a'],
      ['x-custom', 'b'],
      ['Content-Length', '12'],
    ];
    expect(pairs(forwardableHeaders(end2end))).toEqual(end2end);
  });

  it('the hop-by-hop fields are removed, whatever their case', () => {
    const headers: Header[] = [
      ['Host', 'api.example'],
      ['Connection', 'keep-alive'],
      ['KEEP-ALIVE', 'timeout=5'],
      ['Proxy-Connection', 'keep-alive'],
      ['Proxy-Authorization', 'Basic dTpw'],
      ['proxy-authenticate', 'Basic'],
      ['TE', 'trailers'],
      ['Trailer', 'X-Checksum'],
      ['Upgrade', 'h2c'],
      ['Accept', '*/*'],
    ];
    expect(names(forwardableHeaders(headers))).toEqual(['Host', 'Accept']);
  });

  it('a field named in Connection is removed, whatever the case of the name or of the option', () => {
    const headers: Header[] = [
      ['Connection', 'close, X-Trace-Hop'],
      ['x-trace-hop', '1'],
      ['X-Trace', 'kept'],
    ];
    expect(pairs(forwardableHeaders(headers))).toEqual([['X-Trace', 'kept']]);
  });

  it('options from every Connection line count, with empty list elements and spaces', () => {
    const headers: Header[] = [
      ['Connection', ' , X-A ,,'],
      ['X-A', '1'],
      ['Connection', 'x-b'],
      ['X-B', '2'],
      ['X-C', '3'],
    ];
    expect(pairs(forwardableHeaders(headers))).toEqual([['X-C', '3']]);
  });

  it('Transfer-Encoding and Content-Length stay on a request: the body is framed to match them', () => {
    const headers: Header[] = [
      ['Transfer-Encoding', 'chunked'],
      ['Content-Length', '5'],
    ];
    expect(pairs(forwardableHeaders(headers))).toEqual(headers);
  });

  it('fields the caller drops by name go too', () => {
    const headers: Header[] = [
      ['Cookie', 'a=1'],
      ['Accept', '*/*'],
    ];
    expect(names(forwardableHeaders(headers, false, new Set(['cookie'])))).toEqual(['Accept']);
  });

  it('a WebSocket handshake keeps Connection, Upgrade and its Sec-WebSocket-* fields, nothing else hop-by-hop', () => {
    const headers: Header[] = [
      ['Host', 'api.example'],
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
      ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
      ['Sec-WebSocket-Version', '13'],
      ['Sec-WebSocket-Protocol', 'chat'],
      ['Sec-WebSocket-Extensions', 'permessage-deflate'],
      ['Proxy-Authorization', 'Basic dTpw'],
      ['Keep-Alive', 'timeout=5'],
    ];
    expect(names(forwardableHeaders(headers, true))).toEqual([
      'Host',
      'Connection',
      'Upgrade',
      'Sec-WebSocket-Key',
      'Sec-WebSocket-Version',
      'Sec-WebSocket-Protocol',
      'Sec-WebSocket-Extensions',
    ]);
  });

  it('without the handshake, Upgrade and Connection go like any hop-by-hop field', () => {
    const headers: Header[] = [
      ['Connection', 'Upgrade'],
      ['Upgrade', 'websocket'],
      ['Sec-WebSocket-Version', '13'],
    ];
    expect(names(forwardableHeaders(headers))).toEqual(['Sec-WebSocket-Version']);
  });
});

describe('headers of a response, sent on to the client', () => {
  it("Transfer-Encoding goes (the client's connection is framed for its own HTTP version); Content-Length stays", () => {
    const headers: Header[] = [
      ['Content-Type', 'text/event-stream'],
      ['Transfer-Encoding', 'chunked'],
      ['Connection', 'keep-alive'],
      ['Keep-Alive', 'timeout=5'],
      ['Content-Length', '3'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ];
    expect(pairs(responseHeadersFor(headers))).toEqual([
      ['Content-Type', 'text/event-stream'],
      ['Content-Length', '3'],
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ]);
  });

  it('Trailer only announces trailer fields, and is not sent on', () => {
    expect(
      names(
        responseHeadersFor([
          ['Trailer', 'X-Checksum'],
          ['Date', 'x'],
        ]),
      ),
    ).toEqual(['Date']);
  });
});

describe('trailer fields', () => {
  it('are those Node read after a chunked body, as pairs; none is null', () => {
    expect(trailersOf({ rawTrailers: ['X-Checksum', 'abc', 'grpc-status', '0'] })).toEqual([
      ['X-Checksum', 'abc'],
      ['grpc-status', '0'],
    ]);
    expect(trailersOf({ rawTrailers: [] })).toBeNull();
    expect(trailersOf({})).toBeNull();
  });

  it('are added to the message going on; none adds nothing', () => {
    const added: Header[][] = [];
    const message = { addTrailers: (h: Header[]) => added.push(h) };
    addTrailers(message, [['X-Checksum', 'abc']]);
    addTrailers(message, null);
    expect(added).toEqual([[['X-Checksum', 'abc']]]);
  });

  it('fields Node refuses are left out without failing the message, whose body is whole', () => {
    const refusing = {
      addTrailers: () => {
        throw new TypeError('Invalid character in trailer content ["X-Bad"]');
      },
    };
    expect(() => addTrailers(refusing, [['X-Bad', 'a\nb']])).not.toThrow();
  });
});
