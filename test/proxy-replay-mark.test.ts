// proxy/replay-mark.ts: the header wirelog puts on a replay it sends to its own gateway. Field
// names are case-insensitive (RFC 9110 5.1), so the mark is found and taken off in any case; it
// is never forwarded or stored, whoever sent it; only a single mark carrying this run's token
// links the exchange to the one replayed. A mark from anyone else (a client copying a header it
// saw, a replay from another wirelog) is taken off and honoured in nothing.
import { describe, expect, it } from 'vitest';
import type { Header, RequestHead } from '../model/exchange.ts';
import { newReplayToken, REPLAY_HEADER, replayMarkValue, takeReplayMark } from '../proxy/replay-mark.ts';

const UID = '0f8b5a52-8d0c-4d8e-9a55-7f3f0b7a8c11';
const TOKEN = newReplayToken();

function head(headers: Header[]): RequestHead {
  return {
    startedAt: 0,
    clientAddress: '127.0.0.1:1',
    method: 'POST',
    scheme: 'https',
    host: 'relay.example',
    port: 443,
    path: '/v1/chat/completions',
    httpVersion: '1.1',
    headers,
    via: 'gateway',
  };
}

const AUTH: Header = ['Authorization', 'Bearer sk-1'];

describe('the replay mark', () => {
  it("this run's mark links the replay to the exchange replayed, gives its uid, and is taken off", () => {
    const taken = takeReplayMark(head([AUTH, [REPLAY_HEADER, replayMarkValue(TOKEN, 42, UID)]]), TOKEN);
    expect(taken.uid).toBe(UID);
    expect(taken.head.replayOf).toBe(42);
    expect(taken.head.headers).toEqual([AUTH]);
    // A replay is wirelog's own request, not a gateway client's.
    expect(taken.head.via).toBeUndefined();
  });

  it('is found whatever the case of its name', () => {
    const taken = takeReplayMark(head([['X-WireLog-Replay', replayMarkValue(TOKEN, 7, UID)], AUTH]), TOKEN);
    expect([taken.uid, taken.head.replayOf, taken.head.headers]).toEqual([UID, 7, [AUTH]]);
  });

  it('a head without a mark is the same head', () => {
    const h = head([AUTH]);
    expect(takeReplayMark(h, TOKEN)).toEqual({ head: h });
  });

  it.each([
    ['another token', replayMarkValue(newReplayToken(), 1, UID)],
    ['a token of another length', replayMarkValue(`${TOKEN}x`, 1, UID)],
    ['no id', `${TOKEN}  ${UID}`],
    ['an id that is not a number', `${TOKEN} one ${UID}`],
    ['a uid that is not one', `${TOKEN} 1 not-a-uid`],
    ['an extra word', `${replayMarkValue(TOKEN, 1, UID)} more`],
    ['nothing', ''],
  ])('with %s it is taken off and honoured in nothing', (_what, value) => {
    const taken = takeReplayMark(head([AUTH, [REPLAY_HEADER, value]]), TOKEN);
    expect(taken.uid).toBeUndefined();
    expect(taken.head.replayOf).toBeUndefined();
    expect(taken.head.headers).toEqual([AUTH]);
    expect(taken.head.via).toBe('gateway');
  });

  it('two marks, even both right, are honoured in nothing and both taken off', () => {
    const mark = replayMarkValue(TOKEN, 1, UID);
    const taken = takeReplayMark(head([[REPLAY_HEADER, mark], AUTH, [REPLAY_HEADER, mark]]), TOKEN);
    expect([taken.uid, taken.head.replayOf, taken.head.headers]).toEqual([undefined, undefined, [AUTH]]);
  });

  it('a proxy with no token (none made yet) honours no mark, and still takes it off', () => {
    const taken = takeReplayMark(head([[REPLAY_HEADER, replayMarkValue(TOKEN, 1, UID)]]), undefined);
    expect([taken.uid, taken.head.headers]).toEqual([undefined, []]);
  });

  it('each run makes its own token, of URL-safe characters, long enough not to be guessed', () => {
    const a = newReplayToken();
    expect(a).not.toBe(newReplayToken());
    expect(a).toMatch(/^[A-Za-z0-9_-]{24,}$/);
  });
});
