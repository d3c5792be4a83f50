#!/usr/bin/env node
// Runs the bundle that `npm install` / `npm start` build into dist/; from a checkout
// without it, runs the TypeScript sources through tsx.
import fs from 'node:fs';
import v8 from 'node:v8';

// A proxy's garbage is short-lived (chunks, headers, events). Set before any worker starts:
// a 2 MB young generation per semi-space instead of 16 for the worker threads, and the old
// generation collected once it grew 30% past what the last full collection left, in every
// thread. --optimize-for-size, set here before, shrank every worker's young generation to 1 MB
// whatever was asked and collected the old generation more often still: twice the scavenges on
// the storage thread, more full collections, and V8 compiling again the code each of those let
// go (bench/storage-row-cost.ts, the storage thread per GET row: 127-130 µs median instead of
// 147-203; an SSE call 1,890 instead of 2,163). The main thread's heap is sized before this runs,
// on node's command line: `npm start` (package.json) gives it 1 MB per semi-space, as
// NODE_OPTIONS=--max-semi-space-size=1 does for a `wirelog` on the PATH. With 2 there as well,
// peak RSS through bench/memory.ts's phases was 136-141 MB (median 137) against 128-135 (132)
// with the flags before; with 1, 130-135 (135): the forwarding thread's Buffers freed by its
// more frequent scavenges, its CPU per request unchanged within the noise (bench/side-by-side.ts
// --recording-cost); what is left is the storage thread's larger young generation
// (test/v8-flags.test.ts). Node's command line also gives V8 two helper threads instead of four
// (--v8-pool-size=2, in `npm start` and beside the semi-space in NODE_OPTIONS for a `wirelog` on
// the PATH): each thread that compiles or marks for V8 keeps a glibc malloc arena of its own,
// 1-5 MB resident each. bench/memory.ts, whole-run peak, seven runs alternated with the build
// before, load 7-12: 116-129 MB (median 117) against 120-134 (124); the forwarding thread's CPU
// per request 239.5 µs against 253.0 (bench/side-by-side.ts --recording-cost, medians of 5
// rounds, load 5-7.5). WIRELOG_V8_DEFAULTS=1 skips what is set here.
if (!process.env.WIRELOG_V8_DEFAULTS) v8.setFlagsFromString('--max-semi-space-size=2 --heap-growing-percent=30');

const bundle = new URL('../dist/cli.js', import.meta.url);
if (fs.existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli.ts');
}
