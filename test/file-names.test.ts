import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * No two files of wirelog's own source share a name: with `api.ts` in two folders and
 * `compare.ts` in four, an editor tab, a stack trace or a review comment no longer says which
 * one is meant. Tests and benches are named after what they test or measure, so they are not
 * counted.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NOT_SOURCE = new Set(['test', 'bench', 'node_modules', 'dist', 'test-artifacts', 'reports', 'docs']);
const CODE = /\.(ts|tsx|js|mjs|cjs)$/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.name.startsWith('.') || (!dir && NOT_SOURCE.has(entry.name))) return [];
    if (entry.isDirectory()) return sourceFiles(rel);
    return CODE.test(entry.name) ? [rel] : [];
  });
}

/** Each file name used by more than one source file, with the files. */
function sharedNames(files: string[]): Record<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const file of files) {
    const name = path.posix.basename(file);
    byName.set(name, [...(byName.get(name) ?? []), file]);
  }
  return Object.fromEntries([...byName].filter(([, all]) => all.length > 1));
}

describe('source file names', () => {
  it('finds a name used twice (the check itself)', () => {
    expect(sharedNames(['viewer/api.ts', 'viewer/app/api.ts', 'cli/run.ts'])).toEqual({
      'api.ts': ['viewer/api.ts', 'viewer/app/api.ts'],
    });
  });

  it('no two source files share a name', () => {
    const files = sourceFiles('');
    expect(files.length).toBeGreaterThan(100);
    expect(sharedNames(files)).toEqual({});
  });
});
