import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Vitest global setup: every temporary directory a run makes (data dirs, stores, copies of the
// checkout, browsers' profiles, child processes' own) goes under one directory of the run's,
// removed at its end. A test that timed out before its own cleanup, or that never had one, left
// its data dir in /tmp: some 10,000 of them, 60 GB, after a few days of runs on this machine.
// Set before the test workers start, so that they and every process they spawn inherit it.
let runDir: string | undefined;

export function setup(): void {
  runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-run-'));
  process.env.TMPDIR = runDir;
}

export function teardown(): void {
  if (runDir) fs.rmSync(runDir, { recursive: true, force: true, maxRetries: 3 });
}
