#!/usr/bin/env node
// Runs the bundle that `npm install` / `npm start` build into dist/; from a checkout
// without it, runs the TypeScript sources through tsx.
import fs from 'node:fs';
import v8 from 'node:v8';

// A proxy's garbage is short-lived (chunks, headers, events). Set before any worker starts:
// a 2 MB young generation per semi-space instead of 16 for the worker threads, and V8's
// heuristics for size over speed, which collect the old generation sooner in every thread
// (npm run bench: peak RSS about 40 MB lower). The main thread's heap is sized before this
// runs: `npm start` gives it the same semi-space on node's command line (package.json), as
// NODE_OPTIONS=--max-semi-space-size=2 does for a `wirelog` on the PATH. WIRELOG_V8_DEFAULTS=1
// skips what is set here.
if (!process.env.WIRELOG_V8_DEFAULTS) v8.setFlagsFromString('--max-semi-space-size=2 --optimize-for-size');

const bundle = new URL('../dist/cli.js', import.meta.url);
if (fs.existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli.ts');
}
