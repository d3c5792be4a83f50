import { describe, expect, it } from 'vitest';
import { harEntry, pageId } from '../export/har.ts';
import { harToEvents } from '../export/har-import.ts';
import { harFlow } from './support/exchange-factory.ts';

type Entry = { pageref: string; request: Record<string, any>; response: Record<string, any> };
const entryOf = (...args: Parameters<typeof harFlow>) => harEntry(harFlow(...args)) as unknown as Entry;

describe('a HAR entry, as a pure function of an exchange', () => {
  it('gives a form its params, as httpsnippet and har-to-k6 send them', () => {
    const e = entryOf({ requestBody: ['a=1&b=two+words&c=%C3%A9', 'application/x-www-form-urlencoded'] });
    expect(e.request.postData).toEqual({
      mimeType: 'application/x-www-form-urlencoded',
      text: 'a=1&b=two+words&c=%C3%A9',
      params: [
        { name: 'a', value: '1' },
        { name: 'b', value: 'two words' },
        { name: 'c', value: 'é' },
      ],
    });
  });

  it('writes a binary body as base64 with encoding "base64", and a text one as text', () => {
    const bytes = Buffer.from([0, 255, 128, 10, 13, 1]);
    expect(entryOf({ requestBody: [bytes, 'application/octet-stream'] }).request.postData).toEqual({
      mimeType: 'application/octet-stream',
      text: bytes.toString('base64'),
      encoding: 'base64',
    });
    expect(entryOf({ requestBody: ['{"x":1}', 'application/json'] }).request.postData).toEqual({
      mimeType: 'application/json',
      text: '{"x":1}',
    });
    expect(entryOf().request.postData).toBeUndefined();
  });

  it('fills redirectURL from Location, resolved against the request URL', () => {
    expect(entryOf({ response: { status: 302, headers: [['Location', '/v2/next?x=1']] } }).response.redirectURL).toBe(
      'https://api.example.com/v2/next?x=1',
    );
    expect(entryOf({ response: { status: 200, headers: [['Location', '/ignored']] } }).response.redirectURL).toBe('');
  });

  it('lists cookies from Cookie and Set-Cookie, with their attributes', () => {
    const e = entryOf({
      request: { headers: [['Cookie', 'a=1; session=****abcd']] },
      response: {
        headers: [
          [
            'Set-Cookie',
            'session=****1234; Path=/; Domain=example.com; Expires=Wed, 01 Dec 2027 10:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
          ],
          ['Set-Cookie', 'b=2'],
        ],
      },
    });
    expect(e.request.cookies).toEqual([
      { name: 'a', value: '1' },
      { name: 'session', value: '****abcd' },
    ]);
    expect(e.response.cookies).toEqual([
      {
        name: 'session',
        value: '****1234',
        path: '/',
        domain: 'example.com',
        expires: '2027-12-01T10:00:00.000Z',
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
      },
      { name: 'b', value: '2' },
    ]);
  });

  it("keeps a response's trailer fields in response._trailers, which wirelog's import reads back (masked unless secrets are kept)", () => {
    const trailers: [string, string][] = [
      ['X-Checksum', 'sha256=abc'],
      ['X-Session-Token', 'tok-live-0123456789abcdef'],
    ];
    const e = entryOf({ response: { trailers } });
    expect(e.response._trailers).toEqual([
      { name: 'X-Checksum', value: 'sha256=abc' },
      { name: 'X-Session-Token', value: 'tok-live-0123456789abcdef' },
    ]);
    expect(entryOf().response._trailers).toBeUndefined();
    const har = JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [e] } });
    const endOf = (keepSecrets: boolean) =>
      harToEvents(har, { source: 't.har', keepSecrets }).events.find((x) => x.type === 'end') as {
        responseTrailers?: [string, string][];
      };
    expect(endOf(true).responseTrailers).toEqual(trailers);
    const masked = endOf(false).responseTrailers!;
    expect(masked[0]).toEqual(['X-Checksum', 'sha256=abc']);
    expect(masked[1][1]).not.toContain('0123456789');
  });

  it('writes an exchange that got no response with status -1 and the error, not as an empty 200', () => {
    const e = entryOf({ response: null });
    expect(e.response).toMatchObject({
      status: -1,
      _error: 'connection refused by 127.0.0.1:9',
      _failureText: 'connection refused by 127.0.0.1:9',
      headers: [],
      bodySize: -1,
    });
  });

  it('refers every entry to the page of its day', () => {
    expect(entryOf().pageref).toBe(pageId(Date.UTC(2026, 11, 1, 10)));
    expect(pageId(Date.UTC(2026, 11, 1, 23, 59))).toBe('wirelog_2026-12-01');
  });
});
