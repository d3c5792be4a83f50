// Builds what wirelog runs: the CLI and storage worker bundled by esbuild into dist/ (running
// through tsx costs about 40 MB per thread), and the viewer app built by Vite into
// dist/viewer when any of its possible sources changed since the last build.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// A fresh clone has no node_modules: `npm pack` (prepack) or `npm start` there would stop on
// a module-resolution stack naming esbuild. Say the one thing to do instead, in one line.
const build = await import('esbuild').then(
  (esbuild) => esbuild.build,
  (err) => {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    console.error('wirelog build: esbuild is not installed (a fresh clone): run npm install first');
    process.exit(1);
  },
);

const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

// Chunk names change with their content: last build's must not linger beside this one's.
fs.mkdirSync('dist', { recursive: true });
for (const name of fs.readdirSync('dist')) if (/\.js(\.map)?$/.test(name)) fs.rmSync(path.join('dist', name));

await build({
  entryPoints: {
    cli: 'cli.ts',
    'storage-worker': 'cli/storage-worker.ts',
    'otlp-worker': 'cli/otlp-worker.ts',
    'import-worker': 'cli/import-worker.ts',
    'compare-worker': 'db/compare-worker.ts',
    'session-worker': 'llm/session-worker.ts',
    'session-export-worker': 'export/session-export-worker.ts',
    'har-export-worker': 'export/har-export-worker.ts',
  },
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

// The viewer is rebuilt whenever any source it could import changed, by content: a list of
// folders to watch went stale as soon as the app imported from one more (llm/ was missed).
const SKIPPED = new Set(['node_modules', 'dist', 'test', 'bench', 'reports', 'test-artifacts', 'coverage']);
function sourceFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|tsx|mts|js|mjs|cjs|jsx|css|html|json|svg)$/.test(entry.name)) out.push(full);
  }
  return out;
}

const hash = createHash('sha256');
for (const file of sourceFiles('.').sort()) hash.update(`${file}\0`).update(fs.readFileSync(file)).update('\0');
const sourcesHash = hash.digest('hex');
const stamp = 'dist/viewer/.sources-sha256';
const builtHash = fs.existsSync('dist/viewer/index.html') && fs.existsSync(stamp) ? fs.readFileSync(stamp, 'utf8') : '';
if (process.argv.includes('--force') || sourcesHash !== builtHash) {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: 'vite.config.ts', logLevel: 'warn' });
  fs.writeFileSync(stamp, sourcesHash);
}
