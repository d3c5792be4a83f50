// The replay app (viewer/routes/replay-api.ts) alone, through Hono's app.request(), on a store of its
// own and a replayer that records what it was asked (nothing is sent): a bad parameter or field
// is a 400 naming it.
import { afterAll, describe, expect, it } from 'vitest';
import type { Replayer } from '../replay/replayer.ts';
import { createReplayApi } from '../viewer/routes/replay-api.ts';
import { OWN, answer, chatEntry, ownOrigins, routeStore } from './support/route-store.ts';

const store = routeStore([chatEntry(1)]);
afterAll(() => store.close());
const asked: { id: number; edits: unknown }[] = [];
const replayer = {
  replay: async (exchange: { id: number }, edits: unknown) => {
    asked.push({ id: exchange.id, edits });
    return { id: 1000 + exchange.id, withheld: [] };
  },
} as unknown as Replayer;
const app = createReplayApi(store.reader, replayer, ownOrigins);
const post = (path: string, body: unknown, origin = OWN) =>
  answer(
    app.request(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin,
        'sec-fetch-site': origin === OWN ? 'same-origin' : 'cross-site',
      },
      body: JSON.stringify(body),
    }),
  );

describe('POST /api/exchanges/:id/replay', () => {
  it('replays a stored exchange with the edits asked for', async () => {
    const id = store.ids[0];
    expect(await post(`/${id}/replay`, { method: 'PUT', headers: [['x-try', '2']] })).toEqual({
      status: 200,
      json: { id: 1000 + id, withheld: [] },
    });
    expect(asked).toEqual([{ id, edits: { method: 'PUT', headers: [['x-try', '2']] } }]);
  });

  it.each([
    ['/abc/replay', {}, 'id: '],
    ['/1/replay', { urll: 'x' }, 'urll: '],
    ['/1/replay', { method: 'G T' }, 'method: '],
    ['/1/replay', { headers: [['a b', 'v']] }, 'headers.0.0: '],
    ['/1/replay', { bodyEncoding: 'hex' }, 'bodyEncoding: '],
  ])('%s %j is a 400 naming it', async (path, body, named) => {
    const { status, json } = await post(path, body);
    expect(status).toBe(400);
    expect(String(json.error).startsWith(named), String(json.error)).toBe(true);
  });

  it('refuses another site (403), a missing exchange (404), and replays where nothing may be sent (501)', async () => {
    const before = asked.length;
    expect((await post(`/${store.ids[0]}/replay`, {}, 'https://evil.example')).status).toBe(403);
    expect((await post('/999999/replay', {})).status).toBe(404);
    expect(
      (
        await answer(
          createReplayApi(store.reader, undefined, ownOrigins).request(`/${store.ids[0]}/replay`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', origin: OWN },
            body: '{}',
          }),
        )
      ).status,
    ).toBe(501);
    expect(asked.length).toBe(before);
  });
});
