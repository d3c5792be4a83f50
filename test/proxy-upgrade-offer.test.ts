// proxy/upgrade-offer.ts against RFC 9110 7.8 (Upgrade) and RFC 6455 4.1/4.2.1: Upgrade is a
// list of protocols, each a name with an optional "/version", names compared case-insensitively;
// a WebSocket handshake offers `websocket`. A server may ignore an offer and answer the request
// as HTTP/1.1; then the request is the same request less the offer: its Upgrade field, the
// offer's own HTTP2-Settings (RFC 7540 3.2.1), and those names among Connection's options. Field
// values are octets, read by Node as latin1 (RFC 9110 5.5 obs-text): they go back as they came.
import { describe, expect, it } from 'vitest';
import { headWithoutUpgradeOffer, offersWebSocket } from '../proxy/upgrade-offer.ts';

type Req = Parameters<typeof offersWebSocket>[0];

/** A request as Node hands it to 'upgrade': raw headers, and the joined lower-cased ones. */
function request(rawHeaders: string[], line: Partial<Req> = {}): Req {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    headers[name] = headers[name] === undefined ? rawHeaders[i + 1] : `${headers[name]}, ${rawHeaders[i + 1]}`;
  }
  return { method: 'GET', url: '/v1/realtime', httpVersion: '1.1', rawHeaders, headers, ...line } as unknown as Req;
}

describe('a WebSocket offer (RFC 6455)', () => {
  it.each([['websocket'], ['WebSocket'], ['WEBSOCKET'], ['h2c, websocket'], [' websocket '], ['websocket/13']])(
    'Upgrade: %s is one',
    (upgrade) => {
      expect(offersWebSocket(request(['Upgrade', upgrade]))).toBe(true);
    },
  );

  it('two Upgrade lines are one list', () => {
    expect(offersWebSocket(request(['Upgrade', 'h2c', 'Upgrade', 'websocket']))).toBe(true);
  });

  it.each([['h2c'], ['HTTP/2.0'], ['TLS/1.2'], ['websockets'], ['web socket'], [''], [',,']])(
    'Upgrade: %s is not',
    (upgrade) => {
      expect(offersWebSocket(request(['Upgrade', upgrade]))).toBe(false);
    },
  );

  it('no Upgrade field is no offer', () => {
    expect(offersWebSocket(request(['Connection', 'Upgrade']))).toBe(false);
  });
});

describe('the request without its upgrade offer', () => {
  const lines = (head: Buffer) => head.toString('latin1').split('\r\n');

  it('an h2c offer (Java HttpClient, curl --http2): the request line and every other field as they came', () => {
    const head = headWithoutUpgradeOffer(
      request(
        [
          'Host',
          'relay.example',
          'Connection',
          'Upgrade, HTTP2-Settings',
          'Upgrade',
          'h2c',
          'HTTP2-Settings',
          'AAMAAABkAARAAAAAAAIAAAAA',
          'content-type',
          'application/json',
          'Content-Length',
          '2',
          'X-Dup',
          'a',
          'x-dup',
          'b',
        ],
        { method: 'POST', url: '/v1/chat/completions?x=1' },
      ),
    );
    expect(lines(head)).toEqual([
      'POST /v1/chat/completions?x=1 HTTP/1.1',
      'Host: relay.example',
      'content-type: application/json',
      'Content-Length: 2',
      'X-Dup: a',
      'x-dup: b',
      '',
      '',
    ]);
  });

  it("Connection keeps its other options, and the offer's names go whatever their case", () => {
    const head = headWithoutUpgradeOffer(
      request(['Connection', 'keep-alive, upgrade,  http2-settings , X-Hop', 'Upgrade', 'h2c', 'X-Hop', '1']),
    );
    expect(lines(head).slice(1, -2)).toEqual(['Connection: keep-alive, X-Hop', 'X-Hop: 1']);
  });

  it('a second Connection line is read the same way', () => {
    const head = headWithoutUpgradeOffer(request(['Connection', 'Upgrade', 'Connection', 'close', 'Upgrade', 'h2c']));
    expect(lines(head).slice(1, -2)).toEqual(['Connection: close']);
  });

  it('the head ends with its blank line and nothing after, so the body that follows is read as the body', () => {
    const head = headWithoutUpgradeOffer(request(['Host', 'a']));
    expect(head.toString('latin1').endsWith('Host: a\r\n\r\n')).toBe(true);
  });

  it('an HTTP/1.0 request line stays HTTP/1.0', () => {
    const head = headWithoutUpgradeOffer(request(['Host', 'a', 'Upgrade', 'h2c'], { httpVersion: '1.0' }));
    expect(lines(head)[0]).toBe('GET /v1/realtime HTTP/1.0');
  });

  it('field values go back as the octets they came as', () => {
    // Node reads obs-text as latin1: the two UTF-8 bytes of é are two latin1 characters.
    const utf8AsLatin1 = Buffer.from('café', 'utf8').toString('latin1');
    const head = headWithoutUpgradeOffer(request(['X-Name', utf8AsLatin1, 'Upgrade', 'h2c']));
    expect(head.includes(Buffer.from('X-Name: café\r\n', 'utf8'))).toBe(true);
  });
});
