// A replay is sent by wirelog itself to its own gateway, marked with a header carrying a
// secret made at start: the proxy takes the mark off (it is never forwarded or stored),
// links the new exchange to the one replayed and gives it the uid the replayer chose.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHead } from '../model/exchange.ts';

export const REPLAY_HEADER = 'x-wirelog-replay';

export function newReplayToken(): string {
  return randomBytes(18).toString('base64url');
}

export function replayMarkValue(token: string, replayOf: number, uid: string): string {
  return `${token} ${replayOf} ${uid}`;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The head without the mark; with `replayOf` and the chosen uid when the mark is wirelog's own. */
export function takeReplayMark(head: RequestHead, token: string | undefined): { head: RequestHead; uid?: string } {
  const marks = head.headers.filter(([name]) => name.toLowerCase() === REPLAY_HEADER);
  if (marks.length === 0) return { head };
  const headers = head.headers.filter(([name]) => name.toLowerCase() !== REPLAY_HEADER);
  const m = /^(\S+) (\d+) ([0-9a-f-]{36})$/.exec(marks[0][1]);
  if (!token || marks.length !== 1 || !m || !sameToken(m[1], token)) return { head: { ...head, headers } };
  const { via: _gatewayOnlyCarriesIt, ...rest } = head;
  return { head: { ...rest, headers, replayOf: Number(m[2]) }, uid: m[3] };
}
