// `wirelog import FILE.har`: a HAR from Chrome DevTools, Playwright, mitmproxy or wirelog, as
// exchanges: read as a stream (any size), every entry checked before any is stored, masked like
// live captures, understood and diagnosed; progress on stderr while it runs.
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import type { CaptureStore } from '../db/capture-store.ts';
import { type ImportFailureKind, ImportStore } from '../db/import-store.ts';
import { openDatabase } from '../db/schema.ts';
import { HarImportError } from '../export/har-import.ts';
import { HarStorageError, type ImportProgress } from '../export/har-stream.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { prepareDataDir } from './instance.ts';
import type { Translate } from '../i18n/index.ts';
import { localized } from '../i18n/stored-text.ts';
import { cliLang, t } from './language.ts';
import { progressLine as progressOutput } from './progress.ts';
import { importInWorker } from './viewer-import.ts';

export const importHelp = () => t('commands.import.help');

function fileKind(file: string): 'file' | 'notFound' | 'directory' {
  try {
    return fs.statSync(file).isDirectory() ? 'directory' : 'file';
  } catch (err) {
    // Other failures (no permission) are the import's own one line, with the system's reason.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'notFound' : 'file';
  }
}

// Exchanges stored, understood and indexed per transaction (entries of the HAR): 200, not 500, as
// measured (bench/har-import.ts): a smaller batch is garbage sooner (less CPU on collecting it,
// about 15% of the import's, and a lower peak), and its commit costs little.
const BATCH = { entries: 200, bytes: 16 * 1024 * 1024 };
const SLICE_EXCHANGES = 4000;
// Progress lines at most this often: a few a second, whatever the file's size.
const PROGRESS_EVERY_MS = 500;

/**
 * The garbage collector tuned for a batch job rather than a proxy, in this process alone (set
 * before the import thread starts; WIRELOG_V8_DEFAULTS=1 skips it, as it skips bin/wirelog.js's
 * flags). bin/wirelog.js asked V8 to favour size (--optimize-for-size) before, which kept every
 * young generation near 1 MB: an import, whose every entry is garbage within a batch, then spent
 * about a quarter of its CPU in some 1,400 scavenges per 10,000 entries on the import thread
 * alone. bin/wirelog.js now gives workers 2 MB semi-spaces; this keeps an import off it anyway.
 * Without it, the old generation grows 30% past what survived the last full collection (V8's
 * default lets it grow more: peak 225 MB instead of 155), so the peak stays as it was.
 */
function tuneGarbageCollection(): void {
  if (!process.env.WIRELOG_V8_DEFAULTS) v8.setFlagsFromString('--no-optimize-for-size --heap-growing-percent=30');
}

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

/**
 * What the import stored but could not do, one line per kind (how many, the first id, its error),
 * and what capture's path (an earlier run's leftovers, a batch not of whole exchanges) could not:
 * each exchange also carries a note, but an import must say it too. In `translate`'s language.
 */
export function failureLines(store: Pick<ImportStore, 'failures' | 'capture'>, translate: Translate = t): string[] {
  const lines: string[] = [];
  for (const kind of ['understand', 'index', 'pack'] as const satisfies ImportFailureKind[]) {
    const failure = store.failures[kind];
    if (!failure) continue;
    const { count, firstId, error } = failure;
    lines.push(`wirelog: ${translate(`importFailures.${kind}`, { count, first: firstId, error })}`);
  }
  const captured = store.capture.indexError;
  if (captured) lines.push(`wirelog: ${translate('importFailures.capture', { error: captured })}`);
  return lines;
}

/** failureLines on stderr. */
function sayFailures(store: ImportStore): void {
  for (const line of failureLines(store)) console.error(line);
}

/**
 * Understands, indexes and packs what an earlier run left waiting (a capture or an import that was
 * stopped), a batch's worth (or more) in one slice, before this import's batches. A slice the
 * database refuses is left for the next start to do (the rows say what waits), as a capture's is.
 */
function understandStored(store: CaptureStore): void {
  for (;;) {
    const done = store.indexSlice('understand', Number.POSITIVE_INFINITY, SLICE_EXCHANGES);
    if (done.failed || !done.more) return;
  }
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
  // A path that names no file, or a folder: said with the path, before a data dir or database is made for it.
  const kind = fileKind(path.resolve(file));
  if (kind !== 'file') throw new UsageError(t(`commands.import.${kind}`, { file: path.resolve(file) }));
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  tuneGarbageCollection();
  const db = openDatabase(dataDir);
  const progress = progressOutput();
  let store: ImportStore | undefined;
  try {
    // A batch is stored, understood and indexed in one transaction, each body written once, packed
    // (db/import-store.ts): whole exchanges need none of capture's writing rows as they come.
    store = new ImportStore(db, understandEnded);
    store.capture.indexInSlices = true;
    understandStored(store.capture);
    // Read, checked and converted on a thread of its own, stored here: the two on two cores.
    const result = await importInWorker(
      {
        file: path.resolve(file),
        source: name,
        keepSecrets: values['keep-secrets'] ?? false,
        progressEveryMs: PROGRESS_EVERY_MS,
        progressStep: 1,
        batch: BATCH,
        lowPriority: false,
      },
      (p) => progress.update(`wirelog: ${progressLine(name, p)}`),
      (events) => store!.store(events),
      true,
    );
    progress.done();
    sayFailures(store);
    for (const note of result.notes)
      console.error(`wirelog: ${t('commands.import.note', { note: localized(note, cliLang()) })}`);
    const { ids } = result;
    console.log(
      ids.length
        ? t('commands.import.imported', { count: ids.length, name, first: ids[0], last: ids[ids.length - 1] })
        : t('commands.import.empty', { name }),
    );
    return 0;
  } catch (err) {
    progress.done();
    // The batches stored before the failure stay stored: what was not done for them is said too.
    if (store) sayFailures(store);
    if (!(err instanceof HarImportError) && !(err instanceof HarStorageError)) throw err;
    // Said in English by the import (as the viewer stores it), read in the user's language.
    console.error(`wirelog: ${localized(err.message, cliLang())}`);
    return 1;
  } finally {
    db.close();
  }
}
