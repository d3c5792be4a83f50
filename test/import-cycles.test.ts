import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCircular, parseDependencyTree, type DependencyTree } from 'dpdm';
import { describe, expect, it } from 'vitest';

/**
 * No import circles in wirelog's own source (everything but tests, node_modules and build
 * output): a circle makes a module's value undefined while the other half is still loading, and
 * it means two modules that cannot be understood, tested or moved one without the other. dpdm
 * reads the files with the TypeScript compiler, so `import type` counts too (a circle through
 * shared types is cut by moving the types below both, as proxy/forward-types.ts does).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Not source: tests, dependencies, build output and what runs leave behind (see .gitignore). */
const NOT_SOURCE = new Set(['test', 'node_modules', 'dist', 'test-artifacts', 'reports', 'docs']);
const CODE = /\.(ts|tsx|js|mjs|cjs)$/;

/**
 * Circles present when this test was written, each with why it is left for now. This list may
 * only shrink: a circle not in it fails the test, and so does one in it that is gone (delete it).
 */
const KNOWN: Record<string, string> = {
  // Types only: an Answer holds AgentSteps, and withAgentParts adds them to an Answer.
  'llm/agent-steps.ts -> llm/model-call.ts -> llm/agent-steps.ts':
    'Answer, AgentStep and Citation belong in one types module below both',
  // Types only: an Answer holds ModelImages, and the image finders take a Dialect and StreamItems.
  'llm/images.ts -> llm/model-call.ts -> llm/images.ts':
    'Dialect and StreamItem belong in the same types module below both',
  // A real recursion of the screen: an opened base64 run is shown as raw lines, which may hold base64 runs.
  'viewer/app/components/Base64Run.tsx -> viewer/app/components/RawLines.tsx -> viewer/app/components/Base64Run.tsx':
    'the recursion is the feature; one module for both, or RawLines passed in as a prop, would cut it',
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.name.startsWith('.') || (!dir && NOT_SOURCE.has(entry.name))) return [];
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(rel);
    return CODE.test(entry.name) && !/\.d\.ts$/.test(entry.name) ? [rel] : [];
  });
}

/** A circle as one line, started at its alphabetically first module so the same circle always reads the same. */
function circleName(circle: string[]): string {
  const first = circle.indexOf([...circle].sort()[0]);
  return [...circle.slice(first), ...circle.slice(0, first), circle[first]].join(' -> ');
}

let tree: DependencyTree | undefined;
async function dependencyTree(): Promise<DependencyTree> {
  tree ??= await parseDependencyTree(sourceFiles(''), {
    context: ROOT,
    cwd: ROOT,
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    // Types are dependencies too: the circle this test was written for ran through `import type`.
    transform: false,
    skipDynamicImports: false,
    exclude: /(^|\/)node_modules\//,
  });
  return tree;
}

describe('import circles in the source', () => {
  it('reads every file and resolves every relative import (a `.ts` specifier included)', async () => {
    const found = await dependencyTree();
    const files = Object.keys(found).filter((id) => !id.includes('node_modules'));
    // The circle this test was written for must be among what is read.
    expect(files).toEqual(
      expect.arrayContaining([
        'proxy/forward.ts',
        'proxy/gateway.ts',
        'proxy/upstream-request.ts',
        'proxy/forward-types.ts',
      ]),
    );
    const unresolved = Object.values(found)
      .flatMap((deps) => deps ?? [])
      .filter((dep) => dep.request.startsWith('.') && dep.id === null)
      .map((dep) => `${dep.issuer}: ${dep.request}`);
    expect(unresolved).toEqual([]);
    // An import of proxy/forward-types.ts is seen as one (not lost as a type-only import).
    expect(found['proxy/gateway.ts']?.map((dep) => dep.id)).toContain('proxy/forward-types.ts');
  });

  it('has none but the known ones, and every known one is still there', async () => {
    const circles = parseCircular(await dependencyTree())
      .map(circleName)
      .sort();
    const unknown = circles.filter((c) => !(c in KNOWN));
    expect(unknown, 'a new import circle: move what both modules need into a module below them').toEqual([]);
    const gone = Object.keys(KNOWN).filter((c) => !circles.includes(c));
    expect(gone, 'a known circle is gone: delete it from KNOWN').toEqual([]);
  });
});
