import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase } from '../db/schema.ts';
import { WIRELOG_BIN } from './support/cli.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';

const COUNT = 5000;
let dataDir: string;

beforeAll(() => {
  dataDir = tempDir('wirelog-pipes-');
  const db = openDatabase(dataDir);
  // One in five is Codex's 404 on a repeated path, each to its own URL (not one group of retries), so that the doctor has much to say.
  const events = Array.from({ length: COUNT }, (_, i) =>
    i % 5 === 0 ? finishedExchange(i, { path: `/v1/chat/completions/responses?n=${i}` }, 404) : finishedExchange(i),
  );
  new CaptureStore(db).apply(events.flat());
  db.close();
});

interface Piped {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a wirelog command whose standard output is a pipe read slowly (a pause every 64 KB,
 * as `| python3 -m json.tool` on a busy machine), or dropped after `closeAfter` bytes (`| head -c`).
 */
function piped(args: string[], closeAfter?: number): Promise<Piped> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WIRELOG_BIN, ...args, '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WIRELOG_LANG: 'en' },
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (closeAfter !== undefined && size >= closeAfter) return void child.stdout.destroy();
      // The slow reader is the scenario: a pause after every chunk.
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 15);
    });
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString(), stderr }));
  });
}

describe('every command that prints, into a slow pipe, with 5,000 exchanges stored', () => {
  it('list --json: the whole document arrives', async () => {
    const r = await piped(['list', '--json', '--limit', String(COUNT)]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(256 * 1024);
    expect(JSON.parse(r.stdout)).toHaveLength(COUNT);
  });

  it('list: every line arrives, after the header, newest first, each URL whole (a pipe gets full width)', async () => {
    const r = await piped(['list', '--limit', String(COUNT)]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(COUNT + 1);
    expect(lines[0]).toMatch(/^\s*ID\s+TIME \(UTC\)\s+METHOD\s+STATUS/);
    const ids = lines.slice(1).map((l) => Number(/^\s*(\d+)/.exec(l)![1]));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(lines[1]).toMatch(new RegExp(`  200 .* https://relay\\.example/v1/chat/completions\\?n=${COUNT - 1}$`));
    // Every fifth is a 404: marked as failed.
    expect(lines[5]).toMatch(
      new RegExp(`✗ 404 .* https://relay\\.example/v1/chat/completions/responses\\?n=${COUNT - 5}$`),
    );
  });

  it('export --har -: the whole HAR arrives', async () => {
    const r = await piped(['export', '--har', '-']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { log: { entries: unknown[] } }).log.entries).toHaveLength(COUNT);
  });

  it('doctor over every exchange: the whole report arrives', async () => {
    const r = await piped(['doctor', '--last', String(COUNT)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBeGreaterThan(256 * 1024);
    expect(r.stdout.split('\n').filter((line) => line.startsWith('#'))).toHaveLength(COUNT / 5);
  });

  it('a reader that goes away ends the command quietly: no stack trace, exit 0', async () => {
    for (const args of [
      ['export', '--har', '-'],
      ['list', '--json', '--limit', String(COUNT)],
      ['list', '--limit', String(COUNT)],
    ]) {
      const r = await piped(args, 200);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
  });
});
