#!/usr/bin/env node
// Runs the bundle that `npm install` / `npm start` build into dist/; from a checkout
// without it, runs the TypeScript sources through tsx.
import fs from 'node:fs';
import v8 from 'node:v8';

// A proxy's garbage is short-lived (chunks, headers, events): a 2 MB young generation per
// semi-space instead of 16 keeps each thread's peak memory down (npm run bench: about a
// quarter less peak RSS) and is set before any thread's heap grows. WIRELOG_V8_DEFAULTS=1 skips it.
if (!process.env.WIRELOG_V8_DEFAULTS) v8.setFlagsFromString('--max-semi-space-size=2');

const bundle = new URL('../dist/cli.js', import.meta.url);
if (fs.existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli.ts');
}
