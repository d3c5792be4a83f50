// The viewer ships only part of the message catalogue (i18n/viewer-messages.ts: the CLI's, the
// MCP server's and the stored-error texts stay out). Every key any module of the viewer can ask
// for must be in that part, or the screen would show the key itself: this walks the viewer's
// imports from its entry and checks each key a module names, literally or as the start of a key
// built at run time (`usage.badge.why.${cost.why}`).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { en } from '../i18n/messages/en.ts';
import { zhCN } from '../i18n/messages/zh-CN.ts';
import { leftOut, viewerMessages } from '../i18n/viewer-messages.ts';

type Tree = { [key: string]: string | Tree };

function keysOf(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : keysOf(value, `${prefix}${key}.`),
  );
}

/** The viewer's own modules (not node_modules): every relative import, static or dynamic, from the entry (type-only imports bring no code). */
function viewerModules(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [path.resolve(entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    const imports = [
      ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/gm),
      ...text.matchAll(/import\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm),
    ];
    for (const m of imports) {
      const target = path.resolve(path.dirname(file), m[1] ?? m[2]);
      if (/\.(tsx?|jsx?|mjs)$/.test(target) && fs.existsSync(target)) queue.push(target);
    }
  }
  return [...seen];
}

const fullKeys = keysOf(en as unknown as Tree);
const namespaces = Object.keys(en).join('|');
/** A quoted string or a template's first part that starts with a namespace: a key, or a key's start. */
const NAMED = new RegExp(`['"\`]((?:${namespaces})\\.[\\w.]*)(['"]|\\$\\{|\`)`, 'g');

/** Every key (or start of one, ending in '.') a viewer module names that is in the whole catalogue. */
function keysNamed(files: string[]): { file: string; key: string }[] {
  return files.flatMap((file) =>
    [...fs.readFileSync(file, 'utf8').matchAll(NAMED)]
      .map((m) => ({ file: path.relative('.', file), key: m[1] }))
      .filter(({ key }) =>
        fullKeys.some((full) => full === key || full.startsWith(key.endsWith('.') ? key : `${key}_`)),
      ),
  );
}

describe("the viewer's catalogue", () => {
  const files = viewerModules('viewer/app/main.tsx');
  const named = keysNamed(files);

  it('walks the whole viewer: its lazy screens and the shared modules it imports', () => {
    const relative = files.map((file) => path.relative('.', file));
    expect(relative).toContain('viewer/app/components/ExchangeDetail.tsx');
    expect(relative).toContain('viewer/app/components/SessionView.tsx');
    expect(relative).toContain('llm/diagnosis-text.ts');
    // Literal keys and keys built at run time are both seen.
    expect(named.length).toBeGreaterThan(300);
    expect(named.some(({ key }) => key === 'usage.badge.why.')).toBe(true);
    expect(named.some(({ key }) => key === 'server.api.importNoEnd')).toBe(true);
  });

  for (const [language, messages] of [
    ['en', en],
    ['zh-CN', zhCN],
  ] as const) {
    it(`every key a viewer module names is in its ${language} catalogue`, () => {
      const shipped = keysOf(viewerMessages(messages) as unknown as Tree);
      const missing = named.filter(({ key }) =>
        key.endsWith('.')
          ? !shipped.some((k) => k.startsWith(key))
          : !shipped.some((k) => k === key || k.startsWith(`${key}_`)),
      );
      expect(missing).toEqual([]);
    });
  }

  it('leaves out the CLI-only namespaces and what the server renders itself, and nothing a module names', () => {
    const out = leftOut(en);
    expect(out).toEqual(
      expect.arrayContaining(['cli', 'commands', 'launch', 'dataFiles', 'mcp', 'trust', 'server.stored']),
    );
    const shipped = viewerMessages(en) as unknown as Tree;
    for (const name of ['cli', 'commands', 'launch', 'dataFiles', 'mcp', 'trust'])
      expect(shipped[name]).toBeUndefined();
    expect(Object.keys(shipped.server)).toEqual(['api']);
    expect(named.filter(({ key }) => out.some((prefix) => key === prefix || key.startsWith(`${prefix}.`)))).toEqual([]);
    // Smaller by what it leaves out: what the browser parses before the first row.
    expect(JSON.stringify(shipped).length).toBeLessThan(JSON.stringify(en).length * 0.5);
  });
});
