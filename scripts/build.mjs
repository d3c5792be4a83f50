// Bundles the TypeScript sources into dist/ so wirelog runs as plain JavaScript: running
// through tsx costs about 40 MB per thread, and the proxy and its storage worker are two.
import fs from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url);
await build({
  absWorkingDir: root.pathname,
  entryPoints: { cli: 'cli.ts', 'writer-worker': 'db/writer-worker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
fs.copyFileSync(new URL('cli/node-proxy-bootstrap.cjs', root), new URL('dist/node-proxy-bootstrap.cjs', root));
