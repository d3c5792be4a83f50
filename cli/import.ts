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
import { t } from './language.ts';
import { progressLine as progressOutput } from './progress.ts';

export const importHelp = () => t('commands.import.help');

// Progress lines at most this often: a few a second, whatever the file's size.
const PROGRESS_EVERY_MS = 500;

function megabytes(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}

/** One line of progress: `checking x.har: 12000 entries, 120.0 of 260.0 MB read`. */
export function progressLine(name: string, p: ImportProgress): string {
  if (p.phase === 'store') return t('commands.import.storing', { name, stored: p.stored, entries: p.entries });
  const read = p.totalBytes
    ? t('commands.import.readOf', { read: megabytes(p.bytes), total: megabytes(p.totalBytes) })
    : t('commands.import.read', { read: megabytes(p.bytes) });
  return t(p.phase === 'upload' ? 'commands.import.receiving' : 'commands.import.checking', {
    name,
    entries: p.entries,
    read,
  });
}

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    'import',
    args,
    { 'data-dir': { type: 'string' }, 'keep-secrets': { type: 'boolean' } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError(t('commands.import.oneFile'));
  const file = positionals[0];
  const name = path.basename(file);
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  const db = openDatabase(dataDir);
  const progress = progressOutput();
  try {
    const store = new CaptureStore(db, understandEnded);
    const result = await importHarFile(file, {
      source: name,
      keepSecrets: values['keep-secrets'] ?? false,
      // One transaction per batch, as the storage worker stores captures.
      store: (events) => store.apply(events),
      progress: (p) => progress.update(`wirelog: ${progressLine(name, p)}`),
      progressEveryMs: PROGRESS_EVERY_MS,
      batch: { entries: 2000, bytes: 64 * 1024 * 1024 },
    });
    progress.done();
    for (const note of result.notes) console.error(`wirelog: ${t('commands.import.note', { note })}`);
    const { ids } = result;
    console.log(
      ids.length
        ? t('commands.import.imported', { count: ids.length, name, first: ids[0], last: ids[ids.length - 1] })
        : t('commands.import.empty', { name }),
    );
    return 0;
  } catch (err) {
    progress.done();
    if (!(err instanceof HarImportError) && !(err instanceof HarStorageError)) throw err;
    console.error(`wirelog: ${err.message}`);
    return 1;
  } finally {
    db.close();
  }
}
