// The CLI in a real terminal (a pseudo-terminal from util-linux `script`, its width set by
// stty) and in a real fish: list fits the width, import's progress is one line rewritten in
// place, `wirelog env | source` works in fish with no --shell, and a missing --har file is one line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase } from '../db/schema.ts';
import { displayWidth } from '../cli/list-table.ts';
import { runCli, WIRELOG_BIN } from './support/cli.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';

const hasScript = fs.existsSync('/usr/bin/script');
const hasFish = fs.existsSync('/usr/bin/fish');
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs a shell command line in a program (`script` or `fish`), with a bound on how long it may take. */
function runIn(
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {
      env: { ...process.env, WIRELOG_LANG: 'en', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${program} did not finish in 60 s:\n${output}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A wirelog command in a terminal `columns` wide. */
function inTerminal(columns: number, args: string[]) {
  const line = `stty cols ${columns} rows 50 && exec ${quote(process.execPath)} ${quote(WIRELOG_BIN)} ${args.map(quote).join(' ')}`;
  return runIn('/usr/bin/script', ['-qefc', line, '/dev/null']);
}

let dataDir: string;

beforeAll(() => {
  dataDir = tempDir('wirelog-terminal-');
  const db = openDatabase(dataDir);
  const long = `/v1/chat/completions/responses?${'q=1&'.repeat(40)}end=1`;
  new CaptureStore(db).apply([
    ...finishedExchange(1),
    ...finishedExchange(2, { path: long }, 404),
    ...finishedExchange(3),
  ]);
  db.close();
});

describe('wirelog list in a terminal', () => {
  it.skipIf(!hasScript).each([72, 100, 160])(
    '%i columns: a header, newest first, no line wider than the terminal',
    async (columns) => {
      const { code, output } = await inTerminal(columns, ['list', '--data-dir', dataDir]);
      expect(code).toBe(0);
      const lines = output.split('\r\n').filter(Boolean);
      expect(lines[0]).toMatch(/^\s*ID\s+TIME \(UTC\)\s+METHOD\s+STATUS/);
      expect(lines.slice(1).map((l) => Number(/^\s*(\d+)/.exec(l)![1]))).toEqual([3, 2, 1]);
      for (const line of lines) expect(displayWidth(line), line).toBeLessThanOrEqual(columns);
      // The long URL is cut in its middle: its host and its end stay.
      expect(lines[2]).toMatch(/✗ 404 .*https:\/\/re.*….*end=1$/);
    },
  );

  it('piped: the same rows, nothing cut', async () => {
    const { stdout } = await runCli(['list', '--data-dir', dataDir]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/end=1$/);
    expect(lines[2]).toContain(`${'q=1&'.repeat(40)}end=1`);
  });
});

describe('wirelog import in a terminal', () => {
  it.skipIf(!hasScript)('its progress is one line rewritten in place, then the result on its own line', async () => {
    const har = path.join(tempDir(), 'in.har');
    expect((await runCli(['export', '--har', har, '--data-dir', dataDir])).code).toBe(0);
    const { code, output } = await inTerminal(100, ['import', har, '--data-dir', tempDir()]);
    expect(code).toBe(0);
    // Each progress update starts by going back to the line's start and erasing it; none ends its own line but the last.
    expect(output).toMatch(/^\r\x1b\[Kwirelog: checking in\.har: /);
    expect(output).toMatch(
      /\r\x1b\[Kwirelog: storing in\.har: 3 of 3 entries stored\r\nimported 3 exchange\(s\) from in\.har/,
    );
    expect(output.split('\r\n').filter((l) => l.includes('wirelog: checking'))).toHaveLength(1);
  });
});

describe('wirelog env with no --shell', () => {
  it.skipIf(!hasFish)(
    'in fish: `wirelog env | source` sets the proxy and removes NO_PROXY (fish is its parent; $SHELL says bash)',
    async () => {
      const envDir = tempDir();
      const script = `set -gx NO_PROXY localhost; ${quote(process.execPath)} ${quote(WIRELOG_BIN)} env --data-dir ${quote(envDir)} | source; echo "HTTPS=$HTTPS_PROXY"; if set -q NO_PROXY; echo NO_PROXY=set; else; echo NO_PROXY=unset; end`;
      const { code, output } = await runIn('/usr/bin/fish', ['--no-config', '-c', script], { SHELL: '/bin/bash' });
      expect(output).not.toMatch(/Unknown command|fish:/);
      expect(output).toContain('HTTPS=http://127.0.0.1:8899');
      expect(output).toContain('NO_PROXY=unset');
      expect(code).toBe(0);
    },
  );

  it('from a program that is no shell: $SHELL decides', async () => {
    const fish = await runCli(['env', '--data-dir', tempDir()], { env: { SHELL: '/usr/bin/fish' } });
    expect(fish.stdout).toMatch(/^set -e NO_PROXY; set -e no_proxy; set -gx HTTP_PROXY 'http:\/\/127\.0\.0\.1:8899'/);
    const zsh = await runCli(['env', '--data-dir', tempDir()], { env: { SHELL: '/bin/zsh' } });
    expect(zsh.stdout).toMatch(/^unset NO_PROXY\nunset no_proxy\nexport HTTP_PROXY=/);
  });
});

describe('wirelog export --har with no file', () => {
  it('one line naming the missing argument, with an example', async () => {
    for (const args of [
      ['export', '--har'],
      ['export', '--har', '--since', '2026-01-01T00:00:00Z'],
    ]) {
      const r = await runCli([...args, '--data-dir', dataDir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        'wirelog: --har needs a file name: wirelog export --har captures.har (or --har - for standard output)\n',
      );
    }
  });
});
