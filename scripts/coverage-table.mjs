// `npm run coverage`, second half: after the unit tier ran with v8 coverage
// (reports/coverage/coverage-summary.json), one line per pure module, lowest line coverage first.
// Pure: neither the module nor any module of ours it imports (types aside) imports one that
// reaches files, sockets, processes, threads or a database driver, so a unit test can drive all
// of it (a db/ module is handed a temporary SQLite database). The other modules are counted at
// the end: their tests are integration tests, which this figure does not run. The message
// catalogues (i18n/messages) are data and left out by the npm script.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const SUMMARY = path.join(ROOT, 'reports/coverage/coverage-summary.json');
/** Modules whose import means the importer does I/O. */
const IO =
  /^(?:node:)?(?:fs|fs\/promises|net|http|https|http2|tls|dgram|cluster|child_process|worker_threads|readline|dns|os)$|^(?:better-sqlite3|http-mitm-proxy|hono|@hono\/node-server|undici|ws|node-forge)(?:\/|$)/;

if (!fs.existsSync(SUMMARY)) {
  console.error(
    `coverage-table: ${path.relative(ROOT, SUMMARY)} is missing; run npm run coverage (it runs the unit tier with coverage first)`,
  );
  process.exit(1);
}

/** Value imports (and re-exports) of a source file; `import type` and `export type` left out. */
function importsOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  const found = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm))
    if (!m[1]) found.push(m[2]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]);
  return found;
}

const purity = new Map();
function isPure(file) {
  if (purity.has(file)) return purity.get(file);
  purity.set(file, true); // an import circle counts as pure until one of its modules is not
  const pure = importsOf(file).every((spec) => {
    if (!spec.startsWith('.')) return !IO.test(spec);
    const target = path.resolve(path.dirname(file), spec);
    return !fs.existsSync(target) || isPure(target);
  });
  purity.set(file, pure);
  return pure;
}

const summary = JSON.parse(fs.readFileSync(SUMMARY, 'utf8'));
const rows = Object.entries(summary)
  .filter(([file]) => file !== 'total')
  .map(([file, s]) => ({
    file: path.relative(ROOT, file),
    lines: s.lines.pct,
    branches: s.branches.pct,
    functions: s.functions.pct,
    pure: isPure(file),
  }));
const pure = rows
  .filter((r) => r.pure)
  .sort((a, b) => a.lines - b.lines || a.branches - b.branches || a.file.localeCompare(b.file));
const width = Math.max(...pure.map((r) => r.file.length));
const pct = (n) => `${n.toFixed(1).padStart(5)}%`;
console.log(`\nUnit-test coverage of the ${pure.length} pure modules, lowest first (lines, branches, functions):`);
for (const r of pure) console.log(`${r.file.padEnd(width)}  ${pct(r.lines)}  ${pct(r.branches)}  ${pct(r.functions)}`);
const lines = pure.reduce((n, r) => n + summary[path.join(ROOT, r.file)].lines.covered, 0);
const total = pure.reduce((n, r) => n + summary[path.join(ROOT, r.file)].lines.total, 0);
console.log(
  `all pure modules: ${pct((100 * lines) / Math.max(total, 1))} of ${total} lines; ${rows.length - pure.length} modules that do I/O are left to the integration tests`,
);
