// The compare app (viewer/routes/compare-api.ts) alone, through Hono's app.request(), on a store of
// its own: two stored calls compared; a bad parameter is a 400 naming it.
import { afterAll, describe, expect, it } from 'vitest';
import { createCompareApi } from '../viewer/routes/compare-api.ts';
import { answer, chatEntry, routeStore } from './support/route-store.ts';

const store = routeStore([chatEntry(1), chatEntry(2, 404)]);
afterAll(() => store.close());
const app = createCompareApi(store.reader);

describe('GET /api/compare', () => {
  it('compares a failed call with the one that worked', async () => {
    const [worked, failed] = store.ids;
    const { status, json } = await answer(app.request(`/?a=${failed}&b=${worked}`));
    expect(status).toBe(200);
    expect(json).toMatchObject({ a: failed, b: worked, response: { a: 404, b: 200, same: false } });
    expect(json.requestBody).toMatchObject({
      kind: 'json',
      differences: [{ path: '$.messages[0].content', a: 'question 2', b: 'question 1' }],
    });
  });

  it.each([
    ['/?a=x&b=1', 'a: '],
    ['/?a=1', 'b: '],
    ['/?a=1&b=nope', 'b: give the id of an exchange, or working'],
    ['/?a=0&b=working', 'a: '],
  ])('%s is a 400 naming the parameter', async (path, named) => {
    const { status, json } = await answer(app.request(path));
    expect(status).toBe(400);
    expect(String(json.error).startsWith(named), String(json.error)).toBe(true);
  });
});
