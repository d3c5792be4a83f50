// `wirelog import FILE.har`: a HAR from Chrome DevTools, Playwright, mitmproxy or wirelog, as
// exchanges: stored whole or not at all, masked like live captures, understood and diagnosed.
import fs from 'node:fs';
import path from 'node:path';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase } from '../db/schema.ts';
import { HarImportError, MAX_HAR_BYTES, harToEvents } from '../export/har-import.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { prepareDataDir } from './instance.ts';

export const IMPORT_HELP = `wirelog import FILE.har [--keep-secrets] [--data-dir DIR]
Reads every entry of a HAR file (Chrome DevTools, Playwright, mitmproxy, wirelog) as exchanges, marked
as imported with the file's name: SSE events and WebSocket messages restored, secrets masked as for
live captures (unless --keep-secrets), model calls rebuilt and diagnosed. All entries or none.`;

/** Reads a HAR file, refusing one too large to read whole before reading any of it. */
export function readHarFile(file: string): string {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (size > MAX_HAR_BYTES) {
    throw new HarImportError(`${file} is ${(size / 1024 ** 3).toFixed(1)} GB: wirelog imports HAR files up to ${MAX_HAR_BYTES / 1024 ** 2} MB (it reads them whole); export fewer entries, or split the file`);
  }
  return fs.readFileSync(file, 'utf8');
}

export function importCommand(args: string[]): number {
  const { values, positionals } = parseFlags('import', args, { 'data-dir': { type: 'string' }, 'keep-secrets': { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UsageError('wirelog import takes one HAR file: wirelog import capture.har');
  const file = positionals[0];
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  let imported;
  try {
    imported = harToEvents(readHarFile(file), { source: path.basename(file), keepSecrets: values['keep-secrets'] ?? false });
  } catch (err) {
    if (!(err instanceof HarImportError)) throw err;
    console.error(`wirelog: ${err.message}`);
    return 1;
  }
  const db = openDatabase(dataDir);
  try {
    const ids = new CaptureStore(db, understandEnded).apply(imported.events).sort((a, b) => a - b);
    console.log(ids.length ? `imported ${ids.length} exchange(s) from ${path.basename(file)}: #${ids[0]}-#${ids[ids.length - 1]} (see \`wirelog list\`, \`wirelog doctor\` or the viewer)` : `${path.basename(file)} has no entries: nothing imported`);
  } finally {
    db.close();
  }
  return 0;
}
