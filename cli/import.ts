// `wirelog import FILE.har`: a HAR from Chrome DevTools, Playwright, mitmproxy or wirelog, as
// exchanges: read as a stream (any size), every entry checked before any is stored, masked like
// live captures, understood and diagnosed; progress on stderr while it runs.
import path from 'node:path';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase } from '../db/schema.ts';
import { HarImportError } from '../export/har-import.ts';
import { HarStorageError, importHarFile, type ImportProgress } from '../export/har-stream.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { prepareDataDir } from './instance.ts';

export const IMPORT_HELP = `wirelog import FILE.har [--keep-secrets] [--data-dir DIR]
Reads every entry of a HAR file (Chrome DevTools, Playwright, mitmproxy, wirelog) as exchanges, marked
as imported with the file's name: SSE events and WebSocket messages restored, secrets masked as for
live captures (unless --keep-secrets), model calls rebuilt and diagnosed. Every entry is checked
before any is stored: a bad one anywhere and none is. Progress goes to stderr.`;

// Progress lines at most this often: a few a second, whatever the file's size.
const PROGRESS_EVERY_MS = 500;

function megabytes(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}

/** One line of progress: `checking x.har: 12000 entries, 120.0 of 260.0 MB read`. */
export function progressLine(name: string, p: ImportProgress): string {
  if (p.phase === 'store') return `storing ${name}: ${p.stored} of ${p.entries} entries stored`;
  const read = p.totalBytes ? `${megabytes(p.bytes)} of ${megabytes(p.totalBytes)} MB read` : `${megabytes(p.bytes)} MB read`;
  return `${p.phase === 'upload' ? 'receiving' : 'checking'} ${name}: ${p.entries} entries, ${read}`;
}

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('import', args, { 'data-dir': { type: 'string' }, 'keep-secrets': { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError('wirelog import takes one HAR file: wirelog import capture.har');
  const file = positionals[0];
  const name = path.basename(file);
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  const db = openDatabase(dataDir);
  try {
    const store = new CaptureStore(db, understandEnded);
    const result = await importHarFile(file, {
      source: name,
      keepSecrets: values['keep-secrets'] ?? false,
      // One transaction per batch, as the storage worker stores captures.
      store: (events) => store.apply(events),
      progress: (p) => console.error(`wirelog: ${progressLine(name, p)}`),
      progressEveryMs: PROGRESS_EVERY_MS,
      batch: { entries: 2000, bytes: 64 * 1024 * 1024 },
    });
    for (const note of result.notes) console.error(`wirelog: note: ${note}`);
    const { ids } = result;
    console.log(ids.length ? `imported ${ids.length} exchange(s) from ${name}: #${ids[0]}-#${ids[ids.length - 1]} (see \`wirelog list\`, \`wirelog doctor\` or the viewer)` : `${name} has no entries: nothing imported`);
    return 0;
  } catch (err) {
    if (!(err instanceof HarImportError) && !(err instanceof HarStorageError)) throw err;
    console.error(`wirelog: ${err.message}`);
    return 1;
  } finally {
    db.close();
  }
}
