// bin/wirelog.js sets V8's flags for every thread before any worker starts. The storage thread
// allocates a batch's worth of short-lived objects per transaction: its young generation must be
// the 2 MB per semi-space asked for. V8's --optimize-for-size (the flags before) shrank every
// worker's young generation to 1 MB whatever was asked: twice the scavenges, more full
// collections, 50-70 µs more CPU per stored row (bench/storage-row-cost.ts).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../bin/wirelog.js', import.meta.url);

/** The flags bin/wirelog.js sets, as written there. */
function binFlags(): string {
  const source = fs.readFileSync(BIN, 'utf8');
  const flags = /v8\.setFlagsFromString\('([^']+)'\)/.exec(source)?.[1];
  if (!flags) throw new Error('bin/wirelog.js sets no V8 flags with v8.setFlagsFromString');
  return flags;
}

// A worker started after the flags are set allocates objects that survive a while (as rows
// waiting in a batch do), then reports its young generation's size.
const PROBE = `
const v8 = require('node:v8');
const { Worker } = require('node:worker_threads');
v8.setFlagsFromString(process.env.FLAGS);
const worker = new Worker(\`
  const v8 = require('node:v8');
  const { parentPort } = require('node:worker_threads');
  let keep = [];
  for (let i = 0; i < 2e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 20000) keep = []; }
  parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
\`, { eval: true });
worker.once('message', (size) => { console.log(size); worker.terminate(); });
`;

describe("wirelog's V8 flags", () => {
  it('give a worker thread the young generation asked for (2 MB per semi-space)', () => {
    const flags = binFlags();
    expect(flags).toContain('--max-semi-space-size=2');
    const run = spawnSync(process.execPath, ['-e', PROBE], {
      env: { ...process.env, FLAGS: flags },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    // Two semi-spaces of 2 MB: the new space V8 reports once it has grown to its bound.
    expect(Number(run.stdout.trim())).toBe(4 * 1024 * 1024);
  });
});
