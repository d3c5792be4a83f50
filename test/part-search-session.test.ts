// Issue 28: "after a 120-turn session sent through the proxy, a search for the last turn's words
// (at the end of a large request) finds nothing". A 120-turn Codex-shaped session through the
// real proxy whose last request is over 1 MB with its last words at its very end: the search
// API finds that turn (the whole of every part is indexed, db/part-search.ts), a word every turn
// repeats finds all 120 turns, and the part that holds it is in the index once.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';
import { codexSession } from './support/codex-session.ts';
import { startHarness, type Harness } from './support/harness.ts';

const TURNS = 120;
const PATH = '/v1/responses?run=longsession';
/** Said once, at the very end of the last request. */
const LAST_WORDS = 'zebrafinchquartz lastturnmarker';
/** In a message every turn resends (the session's working directory: /work/<seed>). */
const SEED = 'partsearchseed';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** The session's requests, the last one grown past 1 MB by a user message that ends with LAST_WORDS. */
function requests(): Buffer[] {
  const bodies = [...codexSession(TURNS, SEED)].map((turn) => turn.request);
  const last = JSON.parse(bodies[TURNS - 1].toString('utf8')) as { input: unknown[] };
  const filler: string[] = [];
  for (let i = 0; JSON.stringify(last).length + filler.join(' ').length < 1_300_000; i++)
    filler.push(`line ${i} of a long pasted log: build step ${i % 97} finished with status ${i % 3}`);
  last.input.push({
    type: 'message',
    role: 'user',
    content: [{ type: 'input_text', text: `${filler.join('\n')}\nNow look at ${LAST_WORDS}` }],
  });
  bodies[TURNS - 1] = Buffer.from(JSON.stringify(last));
  return bodies;
}

async function search(q: string): Promise<{ ids: number[]; total: number | undefined }> {
  const res = await fetch(`${h.wirelog.viewer!.url}/api/exchanges?limit=200&q=${encodeURIComponent(q)}`);
  const answer = (await res.json()) as { exchanges: { id: number }[]; total?: number };
  return { ids: answer.exchanges.map((e) => e.id), total: answer.total };
}

describe('a long session searched to its last words', () => {
  it("finds the last turn's words at the end of a request over 1 MB, and every turn by a word they all resend", async () => {
    const bodies = requests();
    expect(bodies[TURNS - 1].length).toBeGreaterThan(1024 * 1024);
    // The last words end the conversation (the tool list and settings follow them), past the first 1 MB.
    expect(bodies[TURNS - 1].indexOf('zebrafinchquartz')).toBeGreaterThan(1024 * 1024);
    for (const body of bodies) {
      const res = await request(`${h.upstream.httpsUrl}${PATH}`, {
        method: 'POST',
        dispatcher: h.agent(),
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body,
      });
      await res.body.arrayBuffer();
    }
    await h.stored();
    const turns = h.wirelog.reader
      .list({ limit: 1000, host: 'localhost' })
      .filter((e) => e.request.path === PATH)
      .map((e) => e.id)
      .sort((a, b) => b - a);
    expect(turns.length).toBe(TURNS);
    // Stored byte for byte, as split into its parts.
    expect(h.wirelog.reader.body(turns[0], 'request').equals(bodies[TURNS - 1])).toBe(true);

    expect(await search('zebrafinchquartz')).toEqual({ ids: [turns[0]], total: 1 });
    expect(await search(LAST_WORDS)).toEqual({ ids: [turns[0]], total: 1 });
    expect(await search(SEED)).toEqual({ ids: turns, total: TURNS });
    // Not noted as cut from search: nothing of it was left out.
    const notes = h.wirelog.reader.get(turns[0])!.notes ?? [];
    expect(
      notes.filter((n) => n.startsWith('search ')),
      notes.join('\n'),
    ).toEqual([]);
    // The CLI searches the same way, and says how many match.
    const listed = await runCli(['list', '--search', 'zebrafinchquartz', '--data-dir', h.dataDir]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n').length).toBe(2); // its header and the one turn
    expect(listed.stderr).toContain('wirelog: 1 exchange matches "zebrafinchquartz"');
    const all = await runCli(['list', '--search', SEED, '--limit', '5', '--data-dir', h.dataDir, '--json']);
    expect((JSON.parse(all.stdout) as { id: number }[]).map((e) => e.id)).toEqual(turns.slice(0, 5));
  }, 300_000);
});
