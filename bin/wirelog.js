#!/usr/bin/env node
// Runs the bundle that `npm install` / `npm start` build into dist/; from a checkout
// without it, runs the TypeScript sources through tsx.
import fs from 'node:fs';
import v8 from 'node:v8';

// A proxy's garbage is short-lived (chunks, headers, events). Set before any worker starts:
// a 2 MB young generation per semi-space instead of 16 for the worker threads, and the old
// generation collected once it grew 30% past what the last full collection left, in every
// thread, which keeps memory near what V8's --optimize-for-size kept it at (bench/memory.ts:
// peak RSS 151 MB against 148, 179 against 170 with 500 request loops beside 200 streams).
// --optimize-for-size, set here before, shrank every worker's young generation to 1 MB whatever
// was asked and collected the old generation more often still: twice the scavenges, more full
// collections, and V8 compiling again the code each of those let go, 50-70 µs more CPU across
// threads per stored row (bench/storage-row-cost.ts; test/v8-flags.test.ts). The main thread's
// heap is sized before this runs: `npm start` gives it the same semi-space on node's command
// line (package.json), as NODE_OPTIONS=--max-semi-space-size=2 does for a `wirelog` on the
// PATH. WIRELOG_V8_DEFAULTS=1 skips what is set here.
if (!process.env.WIRELOG_V8_DEFAULTS) v8.setFlagsFromString('--max-semi-space-size=2 --heap-growing-percent=30');

const bundle = new URL('../dist/cli.js', import.meta.url);
if (fs.existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli.ts');
}
