import fs from 'node:fs';
import path from 'node:path';

/**
 * The test tiers (vitest projects, vitest.config.ts). A file's tier is read from the file
 * itself, so a new test lands in its tier without a list to edit; the first rule that holds:
 *
 * - faults: under test/faults/ (wirelog as its own process against a misbehaving upstream);
 * - browser: named `*.browser.test.ts`, or drives Chromium (imports playwright-core or
 *   support/browser.ts);
 * - package: packs, installs or builds (runs `npm pack|install|ci` or scripts/build.mjs);
 * - integration: starts a server, a process or a socket: imports a module that speaks the
 *   network or starts processes, or a function that starts something (`startHarness`,
 *   `runCli`, `curl`, `sendRaw`, ...);
 * - unit: the rest: functions of the product fed in memory, or a temporary SQLite file. The
 *   unit tier's setup (support/unit-guard.ts) fails a test that opens a socket or starts a
 *   process there, naming the rule, so a file the rules misread cannot hide in it.
 */
export const TIERS = ['unit', 'integration', 'browser', 'faults', 'package'] as const;
export type Tier = (typeof TIERS)[number];

/** Modules whose import alone says the file talks over sockets or starts processes. */
const LIVE_MODULE =
  /^(?:node:)?(?:child_process|net|http|https|http2|tls|dgram|cluster)$|^(?:undici|ws|openai|https-proxy-agent|got|playwright-core)$/;
/** Imported names that start a server, a process, a browser or a connection. */
const STARTER = /^(?:start|launch|run|curl|send|talk|spawn|exec|fork|listen|serve|connect|createServer)/;
const DRIVES_BROWSER = /from\s+['"](?:playwright-core|[./]+support\/browser(?:\.ts)?)['"]/;
const PACKS_OR_BUILDS = /['"]npm['"]\s*,\s*\[\s*['"](?:pack|install|ci|i)['"]|scripts\/build\.mjs/;

/** `import ... from 'x'` statements: the specifier and the names brought in (types left out). */
function importsOf(source: string): { from: string; names: string[] }[] {
  const found: { from: string; names: string[] }[] = [];
  for (const m of source.matchAll(/^\s*import\s+(type\s+)?([^'";]*?)\s*from\s*['"]([^'"]+)['"]/gm)) {
    if (m[1]) continue;
    const clause = m[2];
    const braced = /\{([^}]*)\}/.exec(clause)?.[1] ?? '';
    const names = braced
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n && !n.startsWith('type '))
      .map((n) => n.split(/\s+as\s+/)[0]);
    const outside = clause
      .replace(/\{[^}]*\}/, '')
      .replace(/[,*]/g, ' ')
      .replace(/\bas\b/g, ' ')
      .trim();
    // A default or namespace import of a module of ours could be anything: counted as live.
    if (outside && m[3].startsWith('.')) names.push('start*');
    found.push({ from: m[3], names });
  }
  // Dynamic imports: `await import('node:http')`.
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ from: m[1], names: ['start*'] });
  return found;
}

/** The tier of one test file, given its path (relative to the repository) and its source. */
export function tierOf(file: string, source: string): Tier {
  const rel = file.split(path.sep).join('/');
  if (/(^|\/)test\/faults\//.test(rel)) return 'faults';
  if (rel.endsWith('.browser.test.ts') || DRIVES_BROWSER.test(source)) return 'browser';
  if (PACKS_OR_BUILDS.test(source)) return 'package';
  const live = importsOf(source).some(
    ({ from, names }) => LIVE_MODULE.test(from) || (from.startsWith('.') && names.some((n) => STARTER.test(n))),
  );
  return live ? 'integration' : 'unit';
}

/** Every test file under `dir` (relative paths from `root`), by tier. */
export function testFilesByTier(root: string, dir = 'test'): Record<Tier, string[]> {
  const byTier = Object.fromEntries(TIERS.map((t) => [t, [] as string[]])) as Record<Tier, string[]>;
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(path.join(root, d), { withFileTypes: true })) {
      const rel = `${d}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== 'fixtures' && entry.name !== 'node_modules') walk(rel);
      } else if (entry.name.endsWith('.test.ts')) {
        byTier[tierOf(rel, fs.readFileSync(path.join(root, rel), 'utf8'))].push(rel);
      }
    }
  };
  walk(dir);
  for (const t of TIERS) byTier[t].sort();
  return byTier;
}
