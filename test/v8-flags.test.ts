// wirelog's young generations, thread by thread. bin/wirelog.js sets V8's flags for the worker
// threads before any starts: the storage thread allocates a batch's worth of short-lived objects
// per transaction, so its young generation must be the 2 MB per semi-space asked for. V8's
// --optimize-for-size (the flags before) shrank every worker's to 1 MB whatever was asked: twice
// the scavenges, more full collections, 50-70 µs more CPU per stored row
// (bench/storage-row-cost.ts). The main thread's is sized on node's command line before
// bin/wirelog.js runs: `npm start` (package.json) gives it 1 MB per semi-space, which keeps the
// process's peak near what --optimize-for-size kept it at (bench/memory.ts); the tests and
// benches start wirelog the same way (test/support/cli.ts; test/package.test.ts checks it).
// Node's command line also gives V8 two helper threads instead of four (--v8-pool-size=2): each
// thread that compiles or marks for V8 keeps a glibc malloc arena of its own (1-5 MB resident
// each, bench/memory.ts), and two cores gain nothing from four.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const BIN = new URL('../bin/wirelog.js', import.meta.url);
const PACKAGE = new URL('../package.json', import.meta.url);
const MB = 1024 * 1024;

/** The flags bin/wirelog.js sets, as written there. */
function binFlags(): string {
  const source = fs.readFileSync(BIN, 'utf8');
  const flags = /v8\.setFlagsFromString\('([^']+)'\)/.exec(source)?.[1];
  if (!flags) throw new Error('bin/wirelog.js sets no V8 flags with v8.setFlagsFromString');
  return flags;
}

/** The node flags `npm start` runs bin/wirelog.js with, as package.json writes them. */
function startNodeFlags(): string[] {
  const start: string = JSON.parse(fs.readFileSync(PACKAGE, 'utf8')).scripts.start;
  const flags = /\bnode ((?:--\S+ )*)bin\/wirelog\.js\b/.exec(start)?.[1];
  if (flags === undefined) throw new Error(`package.json's start script runs no node bin/wirelog.js: ${start}`);
  return flags.split(' ').filter(Boolean);
}

// Allocates objects that survive a while (as rows waiting in a batch do, as a request's chunks
// do), then gives the largest new space V8 reported meanwhile: two semi-spaces at their bound.
const CHURN = `
  const v8 = require('node:v8');
  const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  let keep = [];
  let largest = 0;
  for (let i = 0; i < 2e6; i++) {
    keep.push({ i, s: 'x' + i });
    if (keep.length > 20000) keep = [];
    if (i % 1000 === 0) largest = Math.max(largest, newSpace());
  }
`;

// The process as `npm start` makes it: node's flags on the command line, then bin/wirelog.js's
// set, then a worker; each thread reports its new space.
const PROBE = `
const v8 = require('node:v8');
const { Worker } = require('node:worker_threads');
v8.setFlagsFromString(process.env.FLAGS);
const worker = new Worker(\`${CHURN}require('node:worker_threads').parentPort.postMessage(largest);\`, { eval: true });
worker.once('message', (workerNewSpace) => {
  ${CHURN}
  console.log(JSON.stringify({ worker: workerNewSpace, main: largest }));
  worker.terminate();
});
`;

function newSpaces(nodeFlags: string[]): { worker: number; main: number } {
  const run = spawnSync(process.execPath, [...nodeFlags, '-e', PROBE], {
    env: { ...process.env, FLAGS: binFlags() },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim());
}

describe("wirelog's V8 flags", () => {
  it('give a worker thread the young generation asked for (2 MB per semi-space) and the main thread 1 MB', () => {
    expect(binFlags()).toContain('--max-semi-space-size=2');
    // Two semi-spaces each: the new space V8 reports once it has grown to its bound.
    expect(newSpaces(startNodeFlags())).toEqual({ worker: 4 * MB, main: 2 * MB });
  });

  // Counted in /proc/self/task: Linux only, where the arenas are glibc's.
  it.skipIf(process.platform !== 'linux')('give V8 two helper threads, not the four node starts by default', () => {
    expect(startNodeFlags()).toContain('--v8-pool-size=2');
    expect(threads([]) - threads(startNodeFlags())).toBe(2);
  });
});

/** How many threads a node process started with `nodeFlags` runs once it is up. */
function threads(nodeFlags: string[]): number {
  const count = "process.stdout.write(String(require('node:fs').readdirSync('/proc/self/task').length))";
  const run = spawnSync(process.execPath, [...nodeFlags, '-e', count], { encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  return Number(run.stdout);
}
