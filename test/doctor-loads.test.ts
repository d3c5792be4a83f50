// Issue 28: `wirelog doctor` reads a store; it loads neither the proxy nor its TLS library.
// cli.ts named two errors from the modules that start wirelog (cli/instance.ts, certs/ca.ts),
// and the data dir's helpers lived there too: every command evaluated http-mitm-proxy,
// node-forge and ws before doing anything (0.1 s of CPU of the 0.26 s `doctor --last 500`
// took at a million exchanges). Read from a module-loader hook preloaded into the process
// (support/module-trace.mjs), as test/viewer-lazy-api.test.ts does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/schema.ts';
import { runCli } from './support/cli.ts';

const TRACE_HOOK = fileURLToPath(new URL('./support/module-trace.mjs', import.meta.url));
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('doctor loads what reading a store needs', () => {
  it('not the proxy, its TLS library or its WebSocket library', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-doctor-loads-'));
    dirs.push(dataDir);
    openDatabase(dataDir).close();
    const trace = path.join(dataDir, 'modules.txt');
    const run = await runCli(['doctor', '--last', '5', '--data-dir', dataDir], {
      env: { NODE_OPTIONS: `--import=${TRACE_HOOK}`, WIRELOG_MODULE_TRACE: trace },
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const resolved = fs.readFileSync(trace, 'utf8').split('\n');
    // It read the store: the SQLite binding was loaded.
    expect(resolved).toContain('better-sqlite3');
    for (const heavy of ['http-mitm-proxy', 'node-forge', 'ws']) expect(resolved, heavy).not.toContain(heavy);
  });
});
