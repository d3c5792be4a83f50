// README.zh-CN.md is read by the developer wirelog was made for; it must not drift from README.md
// or from the CLI: the same two commands, the two errors it works through, only subcommands and
// flags that exist, and links to README.md and docs/ files (and their sections) that are there.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.ts';

const read = (name: string) => fs.readFileSync(fileURLToPath(new URL(`../${name}`, import.meta.url)), 'utf8');
const english = read('README.md');
const chinese = read('README.zh-CN.md');

/** The text under one `## ` heading, up to the next `## ` heading. */
function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`no section "## ${heading}"`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** Every line inside the fenced code blocks of a piece of Markdown, trimmed, blank lines left out. */
function fencedLines(markdown: string): string[] {
  const lines: string[] = [];
  let inside = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) inside = !inside;
    else if (inside && line.trim()) lines.push(line.trim());
  }
  return lines;
}

/** README.md's start and test commands: the fenced lines of "The two commands" that run npm start and npm test. */
function englishCommands(): { start: string; test: string } {
  const lines = fencedLines(section(english, 'The two commands'));
  const start = lines.find((line) => /\bnpm start\b/.test(line));
  const test = lines.find((line) => /^npm test\b/.test(line));
  if (!start || !test)
    throw new Error(`README.md's "The two commands" lost its start or test command: ${JSON.stringify(lines)}`);
  return { start, test };
}

/** Each `wirelog SUBCOMMAND ...` the Chinese README shows in code (inline or fenced), as written. */
function wirelogCommands(markdown: string): string[] {
  const code = [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]).concat(fencedLines(markdown));
  return code.flatMap((text) =>
    [...text.matchAll(/(?:^|[\s(])(wirelog\s+[a-z][a-z-]*[^|;&)]*)/g)].map((m) => m[1].trim()),
  );
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

describe('README.zh-CN.md', () => {
  it("is linked from README.md's first line", () => {
    expect(english.split('\n')[0]).toMatch(/\]\(README\.zh-CN\.md\)/);
  });

  it('gives the same start and test commands as README.md, in that order', () => {
    const { start, test } = englishCommands();
    expect(fencedLines(section(chinese, '两条命令'))).toEqual([start, test]);
  });

  it('works through the two errors it was written for', () => {
    expect(chinese).toContain('未提供令牌');
    expect(chinese).toContain('/chat/completions/responses');
    // The fixes it gives for them.
    expect(chinese).toMatch(/env_key = "[A-Z0-9_]+"/);
    expect(chinese).toContain('wire_api = "responses"');
    expect(chinese).toContain('http://127.0.0.1:8899/https/');
  });

  it('links only to files and sections that are there (README.md, docs/)', () => {
    const anchorsOf = (markdown: string) => new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));
    const links = [...chinese.matchAll(/\]\(((?:README\.md|docs\/[\w.-]+\.md))(?:#([^)]+))?\)/g)].map((m) => ({
      file: m[1],
      anchor: m[2],
    }));
    expect(links.filter((link) => link.file.startsWith('docs/')).length).toBeGreaterThan(3);
    const broken = links.filter((link) => {
      const file = fileURLToPath(new URL(`../${link.file}`, import.meta.url));
      if (!fs.existsSync(file)) return true;
      return link.anchor !== undefined && !anchorsOf(fs.readFileSync(file, 'utf8')).has(link.anchor);
    });
    expect(broken).toEqual([]);
  });

  it("README.md's own links to docs/ lead to files that are there", () => {
    const files = [...english.matchAll(/\]\((docs\/[\w.-]+\.md)\)/g)].map((m) => m[1]);
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((file) => !fs.existsSync(fileURLToPath(new URL(`../${file}`, import.meta.url))))).toEqual([]);
  });

  describe('names only commands and flags the CLI has', () => {
    let subcommands: Set<string>;
    beforeAll(async () => {
      const help = await runCli(['--help']);
      expect(help.code).toBe(0);
      subcommands = new Set([...help.stdout.matchAll(/^\s+wirelog \[?([a-z][a-z-]*)/gm)].map((m) => m[1]));
      expect(subcommands.size).toBeGreaterThan(5);
    });

    it('every `wirelog SUBCOMMAND` is in wirelog --help', () => {
      const named = wirelogCommands(chinese).map((command) => command.split(/\s+/)[1]);
      expect(named).toEqual(expect.arrayContaining(['run', 'url', 'ca', 'doctor', 'codex-config']));
      expect(named.filter((name) => !subcommands.has(name))).toEqual([]);
    });

    it("every flag it gives a subcommand is in that subcommand's --help", async () => {
      const missing: string[] = [];
      for (const command of new Set(wirelogCommands(chinese))) {
        const [, sub, ...rest] = command.split(/\s+/);
        // After `--` the words belong to the command wirelog runs.
        const ours = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
        const flags = ours.filter((word) => word.startsWith('--'));
        if (!flags.length) continue;
        const help = await runCli([sub, '--help']);
        for (const flag of flags) if (!help.stdout.includes(flag)) missing.push(`${command}: ${flag}`);
      }
      expect(missing).toEqual([]);
    });

    it("a flag named on its own (`--keep-secrets`) is one of wirelog start's", async () => {
      const alone = [...chinese.matchAll(/`(--[a-z][a-z-]*)[^`]*`/g)].map((m) => m[1]);
      expect(alone).toContain('--keep-secrets');
      const help = await runCli(['start', '--help']);
      expect(alone.filter((flag) => !help.stdout.includes(flag))).toEqual([]);
    });
  });
});
