// POST /api/import: a HAR file uploaded from the viewer, of any size, imported off the forwarding
// thread. Asked for application/x-ndjson, the answer is a line of progress at a time (ImportLine),
// then the outcome; else one JSON answer at the end.
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { HarImportError } from '../../export/har-import.ts';
import { HarStorageError, type ImportProgress, type ImportResult } from '../../export/har-stream.ts';
import { localized, localizedAll, serverText } from '../../i18n/stored-text.ts';
import type { ImportAnswer, ImportLine } from '../contract.ts';
import { refusal, requestLanguage, sameOrigin, type OwnOrigins } from './shared.ts';

/** Imports an upload, reporting progress; throws HarImportError for a bad file, HarStorageError when storing failed. */
export type ImportHar = (
  upload: ReadableStream<Uint8Array>,
  name: string,
  progress: (p: ImportProgress) => void,
) => Promise<ImportResult>;

/** The name an upload is stored under: its own (?name=), in characters a file name and a message can carry. */
const uploadName = (asked: string | undefined) =>
  (asked ?? 'upload.har').replace(/[^\w.@ -]/g, '_').slice(0, 200) || 'upload.har';

/** `importHar` absent: this wirelog takes no imports (501). */
export function createImportApi(importHar: ImportHar | undefined, ownOrigins: OwnOrigins): Hono {
  return new Hono().post('/', async (c) => {
    if (!sameOrigin(c, ownOrigins(c))) return c.json({ error: refusal(c, 'importOwnOnly') }, 403);
    if (!importHar) return c.json({ error: refusal(c, 'noImports') }, 501);
    const upload = c.req.raw.body;
    if (!upload) return c.json({ error: refusal(c, 'noUpload') }, 400);
    const name = uploadName(c.req.query('name'));
    const lang = requestLanguage(c);
    const answer = (result: ImportResult): ImportAnswer => ({
      imported: result.ids.length,
      ids: result.ids,
      name,
      notes: localizedAll(result.notes, lang),
    });
    const failure = (err: unknown): { error: string; status: 400 | 503 } => {
      if (err instanceof HarImportError) return { error: localized(err.message, lang), status: 400 };
      if (err instanceof HarStorageError) return { error: localized(err.message, lang), status: 503 };
      throw err;
    };
    if (!/application\/x-ndjson/.test(c.req.header('accept') ?? '')) {
      try {
        return c.json(answer(await importHar(upload, name, () => undefined)) satisfies ImportAnswer);
      } catch (err) {
        const { error, status } = failure(err);
        return c.json({ error }, status);
      }
    }
    c.header('content-type', 'application/x-ndjson; charset=utf-8');
    return stream(c, async (out) => {
      const line = (message: ImportLine) => void out.write(`${JSON.stringify(message)}\n`);
      try {
        line({ done: answer(await importHar(upload, name, (progress) => line({ progress }))) });
      } catch (err) {
        line({
          error:
            err instanceof HarImportError || err instanceof HarStorageError
              ? localized(err.message, lang)
              : serverText(lang, 'api.importFailed', { name, error: localized((err as Error).message, lang) }),
        });
      }
    });
  });
}
