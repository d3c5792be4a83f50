// The import app (viewer/routes/import-api.ts) alone, through Hono's app.request(), with an import
// function of its own: the answer at the end or line by line, a bad file a 400 naming it, a
// storage failure a 503, another site or no importer refused.
import { describe, expect, it } from 'vitest';
import { HarImportError } from '../export/har-import.ts';
import { HarStorageError, type ImportProgress } from '../export/har-stream.ts';
import { createImportApi, type ImportHar } from '../viewer/routes/import-api.ts';
import { OWN, answer, ownOrigins } from './support/route-store.ts';

const PROGRESS: ImportProgress = { phase: 'check', bytes: 10, totalBytes: 20, entries: 1, stored: 0 };

function importer(outcome: 'ok' | 'bad' | 'storage'): { importHar: ImportHar; seen: { name: string; text: string }[] } {
  const seen: { name: string; text: string }[] = [];
  const importHar: ImportHar = async (upload, name, progress) => {
    seen.push({ name, text: await new Response(upload).text() });
    progress(PROGRESS);
    if (outcome === 'bad')
      throw new HarImportError('upload.har is not JSON (Unexpected token): a HAR file is a JSON document');
    if (outcome === 'storage')
      throw new HarStorageError(
        '0 of 1 entries of upload.har were stored before storing failed (disk full); the others were not',
      );
    return { entries: 2, ids: [7, 8], notes: ['a note'] };
  };
  return { importHar, seen };
}
const upload = (app: ReturnType<typeof createImportApi>, path: string, headers: Record<string, string> = {}) =>
  app.request(path, {
    method: 'POST',
    headers: { origin: OWN, 'sec-fetch-site': 'same-origin', ...headers },
    body: '{"log":{"entries":[]}}',
  });

describe('POST /api/import', () => {
  it('imports the upload under a name a file can carry, and answers what was stored', async () => {
    const { importHar, seen } = importer('ok');
    const { status, json } = await answer(upload(createImportApi(importHar, ownOrigins), '/?name=../my%20cap<1>.har'));
    expect(status).toBe(200);
    expect(json).toEqual({ imported: 2, ids: [7, 8], name: '.._my cap_1_.har', notes: ['a note'] });
    expect(seen).toEqual([{ name: '.._my cap_1_.har', text: '{"log":{"entries":[]}}' }]);
  });

  it('answers line by line when asked for ndjson: progress, then the outcome', async () => {
    const res = await upload(createImportApi(importer('ok').importHar, ownOrigins), '/', {
      accept: 'application/x-ndjson',
    });
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { progress: PROGRESS },
      { done: { imported: 2, ids: [7, 8], name: 'upload.har', notes: ['a note'] } },
    ]);
  });

  it('a bad file is a 400 and a storage failure a 503, each saying why', async () => {
    const bad = await answer(upload(createImportApi(importer('bad').importHar, ownOrigins), '/'));
    expect(bad).toEqual({
      status: 400,
      json: { error: 'upload.har is not JSON (Unexpected token): a HAR file is a JSON document' },
    });
    const storage = await answer(upload(createImportApi(importer('storage').importHar, ownOrigins), '/'));
    expect(storage.status).toBe(503);
    expect(storage.json.error).toContain('disk full');
  });

  it('refuses another site (403) and a wirelog that takes no imports (501), importing nothing', async () => {
    const { importHar, seen } = importer('ok');
    expect(
      (
        await answer(
          upload(createImportApi(importHar, ownOrigins), '/', {
            origin: 'https://evil.example',
            'sec-fetch-site': 'cross-site',
          }),
        )
      ).status,
    ).toBe(403);
    expect((await answer(upload(createImportApi(undefined, ownOrigins), '/'))).status).toBe(501);
    expect(seen).toEqual([]);
  });
});
