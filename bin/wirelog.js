#!/usr/bin/env node
// Runs the bundle that `npm install` / `npm start` build into dist/; from a checkout
// without it, runs the TypeScript sources through tsx.
import fs from 'node:fs';

const bundle = new URL('../dist/cli.js', import.meta.url);
if (fs.existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli.ts');
}
