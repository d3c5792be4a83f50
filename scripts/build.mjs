// Builds what wirelog runs: the CLI and storage worker bundled by esbuild into dist/ (running
// through tsx costs about 40 MB per thread), and the viewer app built by Vite into
// dist/viewer when its sources are newer than the last build.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

// Chunk names change with their content: last build's must not linger beside this one's.
fs.mkdirSync('dist', { recursive: true });
for (const name of fs.readdirSync('dist')) if (/\.js(\.map)?$/.test(name)) fs.rmSync(path.join('dist', name));

await build({
  entryPoints: { cli: 'cli.ts', 'storage-worker': 'cli/storage-worker.ts', 'otlp-worker': 'cli/otlp-worker.ts', 'import-worker': 'cli/import-worker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Shared code and what is imported on demand (the OpenTelemetry SDK for `export --otlp`) go in
  // chunks beside the entries, so a module's relative URLs (the viewer's files, the workers) hold.
  splitting: true,
  chunkNames: '[name]-[hash]',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
fs.copyFileSync('cli/node-proxy-bootstrap.cjs', 'dist/node-proxy-bootstrap.cjs');
fs.mkdirSync('dist/python', { recursive: true });
fs.copyFileSync('cli/python/sitecustomize.py', 'dist/python/sitecustomize.py');

function newestMtime(entry) {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(entry).map((name) => newestMtime(path.join(entry, name))));
}

const builtIndex = 'dist/viewer/index.html';
const builtAt = fs.existsSync(builtIndex) ? fs.statSync(builtIndex).mtimeMs : 0;
const sourcesAt = Math.max(...['viewer/app', 'model', 'vite.config.ts', 'package-lock.json'].map(newestMtime));
if (process.argv.includes('--force') || sourcesAt > builtAt) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: 'vite.config.ts', logLevel: 'warn' });
}
