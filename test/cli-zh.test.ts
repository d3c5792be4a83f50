// The command line in Chinese: every command's --help and its one-line errors, run as a zh-CN
// user runs them. A line that is English (ASCII words left once flags, paths, URLs, commands,
// placeholders and the terms a Chinese developer writes in English are taken out) fails: it
// bypassed the catalogue.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { caFiles, loadOrCreateCa } from '../certs/ca.ts';
import { CaptureStore } from '../db/capture-store.ts';
import { openDatabase } from '../db/schema.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import { runCli, startCli } from './support/cli.ts';
import { finishedExchange } from './support/exchange-events.ts';
import { tempDir } from './support/harness.ts';
import { schema10 } from './support/schema-10.ts';

const ZH = { WIRELOG_LANG: 'zh-CN' };

/** Words a Chinese developer writes in English, in Chinese text too. */
const TERMS =
  /\b(HTTPS?|HAR|CA|URL|JSON|SSE|API|PEM|SPKI|SHA-256|OTLP|OpenTelemetry|TLS|CONNECT|TOML|Codex|Cherry Studio|Chrome|Chromium|Electron|DevTools|Playwright|mitmproxy|WebSocket|wirelog|span|shell|bash|zsh|fish|powershell|grpc|pid|base_url|max_tokens|stdout|stderr|sudo|npm|node|Ctrl-C|UTC|MB|KB|macOS|Debian|Ubuntu|Fedora|RHEL|Windows|PowerShell|Node|Python|requests)\b/g;

/** What is left of a line once what is never translated is taken out. */
function englishLeft(line: string): string {
  return line
    .replace(/\bwirelog [\w-]+/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/"[^"]*"/g, ' ')
    .replace(/'[^']*'/g, ' ')
    .replace(/\S+:\/\/\S+/g, ' ')
    .replace(/\S*[/\\]\S*/g, ' ')
    .replace(/--?[\w-]+(=\S*)?/g, ' ')
    .replace(/\b[A-Z][A-Z0-9_]+(\.\w+)?\b/g, ' ')
    .replace(TERMS, ' ');
}

/** The lines of an output that speak English (no Chinese character, an English word left). */
function englishLines(output: string): string[] {
  return output.split('\n').filter((line) => !/[\u4e00-\u9fff]/.test(line) && /[A-Za-z]{3,}/.test(englishLeft(line)));
}

let empty: string;
let stored: string;
/** A data dir whose CA key is gone (its certificate still there). */
let keyless: string;
/** A database a newer wirelog wrote (a schema version past this one's). */
let newer: string;

beforeAll(() => {
  empty = tempDir('wirelog-zh-empty-');
  stored = tempDir('wirelog-zh-');
  const db = openDatabase(stored);
  // Understood as the storage thread does (model-call columns): doctor compares #2 with the call that worked.
  new CaptureStore(db, understandEnded).apply([
    ...finishedExchange(1),
    ...finishedExchange(2, { path: '/v1/chat/completions/responses' }, 404),
  ]);
  db.close();
  keyless = tempDir('wirelog-zh-keyless-');
  loadOrCreateCa(keyless);
  fs.rmSync(caFiles(keyless).keyPath);
  newer = tempDir('wirelog-zh-newer-');
  const later = openDatabase(newer);
  later.pragma('user_version = 999');
  later.close();
});

const COMMANDS = ['start', 'run', 'env', 'url', 'ca', 'list', 'export', 'doctor', 'replay', 'import', 'codex-config'];

describe('every --help in Chinese', () => {
  it.each([[['--help']], ...COMMANDS.map((c) => [[c, '--help']])])('wirelog %s', async (args) => {
    const r = await runCli(args as string[], { env: ZH });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/[\u4e00-\u9fff]/);
    expect(englishLines(r.stdout)).toEqual([]);
  });
});

describe('every one-line error in Chinese', () => {
  const cases: [string, () => string[], NodeJS.ProcessEnv?][] = [
    ['unknown option', () => ['start', '--prox-port', '1']],
    ['bad port', () => ['start', '--proxy-port', 'abc']],
    ['bad timeout', () => ['start', '--idle-timeout', '0']],
    ['bad body size', () => ['start', '--max-body-mb', 'x']],
    ['bad database size', () => ['start', '--max-db-mb', '0']],
    ['bad age', () => ['start', '--max-age-days', '0']],
    ['bad connections', () => ['start', '--max-connections', '0']],
    ['bad proxy auth', () => ['start', '--proxy-auth', 'nope']],
    ['beyond loopback without auth', () => ['start', '--host', '192.0.2.1', '--data-dir', empty]],
    ['otlp content without endpoint', () => ['start', '--otlp-content']],
    ['otlp endpoint not http', () => ['start', '--otlp-endpoint', 'ftp://collector']],
    [
      'otlp protocol',
      () => ['start', '--otlp-endpoint', 'http://127.0.0.1:4318'],
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    ],
    ['run without a command', () => ['run']],
    ['run of a missing command', () => ['run', '--data-dir', empty, '--', 'no-such-command-wirelog']],
    ['env shell', () => ['env', '--shell', 'tcsh']],
    ['url without one', () => ['url']],
    ['url not a URL', () => ['url', 'notaurl', '--data-dir', empty]],
    ['url scheme', () => ['url', 'ftp://x', '--data-dir', empty]],
    ['url credentials', () => ['url', 'https://u:p@relay.example/v1', '--data-dir', empty]],
    ['list limit', () => ['list', '--limit', '0']],
    ['list with nothing captured', () => ['list', '--data-dir', tempDir('wirelog-zh-none-')]],
    ['a flag given a value it does not take', () => ['list', '--json=1']],
    ['an extra argument', () => ['list', 'extra']],
    ['export without a target', () => ['export']],
    ['export --har without a file', () => ['export', '--har']],
    ['export --har followed by a flag', () => ['export', '--har', '--since', '2026-01-01']],
    ['export since', () => ['export', '--har', '-', '--since', 'yesterday']],
    ['export otlp without endpoint', () => ['export', '--otlp', '--data-dir', stored]],
    ['doctor last', () => ['doctor', '--last', '0']],
    ['doctor ids', () => ['doctor', 'a', 'b']],
    ['doctor of an unknown id', () => ['doctor', '99', '--data-dir', stored]],
    ['doctor with nothing captured', () => ['doctor', '--data-dir', tempDir('wirelog-zh-none-')]],
    ['replay without an id', () => ['replay']],
    ['replay timeout', () => ['replay', '1', '--timeout', '0']],
    ['replay with no wirelog running', () => ['replay', '1', '--data-dir', stored]],
    ['import without a file', () => ['import']],
    ['codex-config without an id', () => ['codex-config']],
    ['codex-config with nothing captured', () => ['codex-config', '5', '--data-dir', tempDir('wirelog-zh-none-')]],
    ['codex-config of an unknown id', () => ['codex-config', '99', '--data-dir', stored]],
    ['codex-config of a call that failed', () => ['codex-config', '2', '--data-dir', stored]],
    ['--lang without a language', () => ['list', '--lang']],
    ['a CA whose key is gone', () => ['ca', '--data-dir', keyless]],
    ['a data dir that is a file', () => ['list', '--data-dir', path.join(stored, 'wirelog.sqlite')]],
    ['a database from a newer wirelog', () => ['list', '--data-dir', newer]],
    ['an unknown command', () => ['nope']],
  ];
  it.each(cases)('%s', async (_name, args, env) => {
    const r = await runCli(args(), { env: { ...ZH, ...env } });
    expect(r.code, r.stderr).not.toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    // One line, after the `wirelog: ` it starts with.
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^wirelog: .*[\u4e00-\u9fff]/);
    expect(englishLines(r.stderr)).toEqual([]);
  });
});

describe('output in Chinese', () => {
  it('list: the header and the stderr notes', async () => {
    const r = await runCli(['list', '--data-dir', stored], { env: ZH });
    expect(r.stdout.split('\n')[0]).toMatch(/^\s*编号\s+时间 \(UTC\)\s+方法\s+状态\s+耗时\s+大小\s+(模型\s+)?URL$/);
    expect(englishLines(r.stdout.split('\n')[0])).toEqual([]);
  });

  it('doctor: severities, fixes and the closing line', async () => {
    const r = await runCli(['doctor', '--data-dir', stored], { env: ZH });
    expect(r.stdout).toMatch(/\[错误\]/);
    expect(r.stdout).toMatch(/ {2}修复：/);
    // The first line of each entry is captured data (method, URL, status): the rest is ours, the
    // comparison with the last working call too (its paths, client and model are data).
    expect(r.stdout).toMatch(
      / {2}对比：能用的那次调用 #1（来自 .+）发往 \/v1\/chat\/completions，没带密钥；这次（来自 .+）发往 \/v1\/chat\/completions\/responses，没带密钥。/,
    );
    expect(
      englishLines(
        r.stdout
          .split('\n')
          .filter((l) => !l.startsWith('#'))
          .join('\n'),
      ),
    ).toEqual([]);
    const none = await runCli(['doctor', '1', '--data-dir', stored], { env: ZH });
    expect(none.stdout).toBe('请求 1 没有发现问题。\n');
  });

  it('export: the rows left out because they are damaged', async () => {
    const dir = tempDir('wirelog-zh-damaged-');
    const db = openDatabase(dir);
    new CaptureStore(db).apply([...finishedExchange(1), ...finishedExchange(2)]);
    db.prepare(`UPDATE exchanges SET request_headers = 'not json' WHERE id = 2`).run();
    db.close();
    const r = await runCli(['export', '--har', '-', '--data-dir', dir], { env: ZH });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('wirelog: 1 条请求没有导出：它们在数据库里的记录已损坏（#2）');
    expect(englishLines(r.stderr)).toEqual([]);
    // The HAR file keeps its comment in English, for any reader.
    expect((JSON.parse(r.stdout) as { log: { comment: string } }).log.comment).toMatch(/^1 exchange\(s\) left out/);
    fs.rmSync(dir, { recursive: true });
  });

  it('codex-config: the notes after the TOML (the TOML itself untranslated)', async () => {
    const r = await runCli(['codex-config', '1', '--data-dir', stored], { env: ZH });
    expect(r.code, r.stderr).toBe(0);
    // The header comment is in Chinese too (it was left in English: '# in ~/.codex/config.toml').
    expect(r.stdout.split('\n')[0]).toBe('# 写进 ~/.codex/config.toml');
    const notes = r.stdout.split('\n').filter((l, i) => i > 0 && l.startsWith('# '));
    expect(notes.length).toBe(2);
    for (const note of notes) expect(note).toMatch(/[\u4e00-\u9fff]/);
    expect(englishLines(notes.join('\n'))).toEqual([]);
    expect(r.stdout).toContain('wire_api = "responses"');
  });

  it('doctor --json: rule ids and English fields for scripts, the text in Chinese beside them', async () => {
    const r = await runCli(['doctor', '--json', '--data-dir', stored], { env: ZH });
    const [entry] = JSON.parse(r.stdout) as {
      diagnoses: { rule: string; summary: string; text: { summary: string; fix: string } }[];
    }[];
    expect(entry.diagnoses[0].rule).toMatch(/^[a-z-.]+$/);
    expect(entry.diagnoses[0].summary).not.toMatch(/[\u4e00-\u9fff]/);
    expect(entry.diagnoses[0].text.summary).toMatch(/[\u4e00-\u9fff]/);
  });

  it('env and url with no wirelog running, ca --regenerate: their notes on stderr', async () => {
    const dataDir = tempDir('wirelog-zh-env-');
    for (const args of [['env'], ['url', 'https://openrouter.ai/api/v1'], ['ca', '--regenerate']]) {
      const r = await runCli([...args, '--data-dir', dataDir], { env: ZH });
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/[\u4e00-\u9fff]/);
      expect(englishLines(r.stderr)).toEqual([]);
    }
    // ca: where the CA is and how to trust it; only the commands to paste stay as they are.
    const ca = await runCli(['ca', '--data-dir', dataDir], { env: ZH });
    expect(ca.stdout).toContain('在系统范围信任它');
    expect(
      englishLines(
        ca.stdout
          .split('\n')
          .filter((l) => !/^ {4}\S/.test(l))
          .join('\n'),
      ),
    ).toEqual([]);
    fs.rmSync(dataDir, { recursive: true });
  });

  it('the check itself catches English', () => {
    expect(englishLines('wirelog: no exchanges stored yet')).toHaveLength(1);
    expect(englishLines('  --proxy-port N         proxy port (default 8899)')).toHaveLength(1);
    expect(
      englishLines(
        `  wirelog url https://openrouter.ai/api/v1   ->   http://127.0.0.1:8899/https/openrouter.ai/api/v1`,
      ),
    ).toEqual([]);
    expect(englishLines(path.join('/tmp', 'x.har'))).toEqual([]);
  });
});

describe('--lang reaches every thread', () => {
  it("the storage thread's console lines follow --lang zh-CN over WIRELOG_LANG=en", async () => {
    const dir = tempDir('wirelog-zh-lang-');
    // A database from before the search index: the storage thread says it indexes it, and when it is done.
    schema10(dir, 20);
    const { child, output } = await startCli(
      ['start', '--lang', 'zh-CN', '--data-dir', dir, '--proxy-port', '0', '--ui-port', '0'],
      'Ctrl-C',
      { env: { WIRELOG_LANG: 'en' } },
    );
    try {
      const lines = () =>
        output()
          .split('\n')
          .filter((l) => /search index|搜索索引/.test(l));
      await expect.poll(() => lines().length, { timeout: 30_000 }).toBe(2);
      for (const line of lines()) expect(line).toMatch(/^wirelog: 搜索索引：/);
      expect(englishLines(output())).toEqual([]);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
