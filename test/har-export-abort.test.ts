// An export stopped by its signal (export/har-export-thread.ts HarThreadOptions.signal, which the
// viewer aborts when its client goes away) rejects with HarExportCancelled and leaves no worker:
// a walk whose filter matches nothing writes nothing after the head, so without the signal it would
// not notice the client had gone before walking the whole store.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import { HarExportCancelled, writeHarOffThread } from '../export/har-export-thread.ts';
import { storeCodexSession } from './support/codex-session-store.ts';
import { eventually, tempDir } from './support/harness.ts';

const threads = () => fs.readdirSync('/proc/self/task').length;

function storeFile(): { file: string; close: () => void } {
  const db = openDatabase(tempDir());
  storeCodexSession(db, 12, 'abort-export');
  const file = new ExchangeReader(db).file as string;
  return { file, close: () => db.close() };
}

describe('an export stopped by its signal', () => {
  it('aborted while its head is written: rejects as cancelled, writes nothing more, starts no worker', async () => {
    const { file, close } = storeFile();
    const before = threads();
    const abort = new AbortController();
    const chunks: Buffer[] = [];
    const export_ = writeHarOffThread(
      file,
      { host: 'nowhere.example' },
      (chunk) => {
        chunks.push(Buffer.from(chunk));
        abort.abort();
      },
      'test',
      { tuneProcess: false, oneRange: true, signal: abort.signal },
    );
    await expect(export_).rejects.toBeInstanceOf(HarExportCancelled);
    expect(chunks).toHaveLength(1);
    expect(chunks[0].toString()).toContain('"log"');
    await eventually(() => threads() <= before, 'no export worker left', 10_000);
    close();
  }, 30_000);

  it('aborted before it starts: rejects as cancelled without writing', async () => {
    const { file, close } = storeFile();
    const abort = new AbortController();
    abort.abort();
    const chunks: Buffer[] = [];
    await expect(
      writeHarOffThread(file, {}, (chunk) => void chunks.push(Buffer.from(chunk)), 'test', {
        tuneProcess: false,
        oneRange: true,
        signal: abort.signal,
      }),
    ).rejects.toBeInstanceOf(HarExportCancelled);
    expect(chunks).toHaveLength(0);
    close();
  }, 30_000);

  it('not aborted: the same export ends as before, with its tail', async () => {
    const { file, close } = storeFile();
    const abort = new AbortController();
    const chunks: Buffer[] = [];
    const written = await writeHarOffThread(
      file,
      { host: 'nowhere.example' },
      (chunk) => void chunks.push(Buffer.from(chunk)),
      'test',
      { tuneProcess: false, oneRange: true, signal: abort.signal },
    );
    expect(written.entries).toBe(0);
    expect(JSON.parse(Buffer.concat(chunks).toString()).log.entries).toEqual([]);
    close();
  }, 30_000);
});
