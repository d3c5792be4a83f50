// Issue 30, done when: every command in the README is run by a test. The fenced blocks of
// README.md, README.zh-CN.md and docs/install.md are read from the files each run and every one
// is classified below: run here (as written, through bash, with `wirelog` on PATH), checked here
// (a program's output the README quotes, compared with the real program's), or not run, with the
// reason. A block nobody classified fails the first test, so a new command in the README is run
// or explained before it ships.
//
// What is changed in a command before it runs (localize(), and nothing else):
// - the README's fixed ports: `127.0.0.1:8899` (proxy and gateway) and `:8900` (viewer) become
//   the ports of this test's own wirelog (`wirelog start --proxy-port 0 --ui-port 0` on a
//   temporary data dir, named to every command by WIRELOG_HOME);
// - the README's relay `x666.me` becomes the fake relay's HTTPS address, `localhost:PORT`
//   (test/support/fake-upstream.ts, trusted by wirelog through --upstream-ca), so an `https/`
//   gateway address stays `https/`; README.zh-CN.md's reproduced relay `127.0.0.1:41257` becomes
//   the fake relay's plain-HTTP port;
// - `codex exec "hello"` after `wirelog run --` becomes a Node client (the point of that line is
//   wirelog run; the real Codex runs below with the README's own Codex config instead).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeSummary } from '../model/summary.ts';
import { startWirelogProcess, WIRELOG_BIN, WIRELOG_NODE_FLAGS, type WirelogProcess } from './support/cli.ts';
import { CHAT_DELTAS, startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { eventually, tempDir } from './support/harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CODEX = path.join(ROOT, 'node_modules/@openai/codex/bin/codex.js');
const FILES = ['README.md', 'README.zh-CN.md', 'docs/install.md'] as const;
type DocFile = (typeof FILES)[number];
/** The key the fake relay's /keyed/ routes accept (test/support/fake-upstream.ts). */
const GOOD_KEY = 'sk-good-key-000000000001';
const ANSWER = CHAT_DELTAS.join('');

interface Block {
  file: DocFile;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  lines: string[];
  text: string;
}

/** Every fenced block of a Markdown file (indented fences inside list items too). */
function fencedBlocks(file: DocFile): Block[] {
  const blocks: Block[] = [];
  let open: Block | null = null;
  for (const [i, raw] of fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n').entries()) {
    const fence = /^\s*```(\S*)\s*$/.exec(raw);
    if (fence && !open) open = { file, line: i + 1, lang: fence[1], lines: [], text: '' };
    else if (fence && open) {
      // The block's lines without the indentation of a fence inside a list item.
      const indent = Math.min(...open.lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
      open.lines = open.lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0));
      open.text = open.lines.join('\n').trim();
      blocks.push(open);
      open = null;
    } else if (open) open.lines.push(raw);
  }
  if (open) throw new Error(`${file}:${open.line}: a fence that is never closed`);
  return blocks;
}

type How = 'run' | 'checked' | 'not run';
interface Classified {
  /** Which blocks: the first line of the block matches. */
  first: RegExp;
  files: DocFile[];
  how: How;
  /** For 'run' and 'checked': the test that does it; for 'not run': why not. */
  why: string;
}

/** Every fenced block of the three files, and what this test does with it. */
const CLASSIFIED: Classified[] = [
  {
    first: /^npm install && npm start$/,
    files: ['README.md', 'README.zh-CN.md', 'docs/install.md'],
    how: 'not run',
    why: "npm install needs the registry (and compiles SQLite here, minutes); npm start builds, then runs `wirelog start` on the fixed ports 8899/8900, which a developer's own wirelog may hold: this test starts the same `wirelog start` on free ports, and test/package.test.ts builds, packs and starts it",
  },
  {
    first: /^npm test$/,
    files: ['README.md', 'README.zh-CN.md'],
    how: 'not run',
    why: 'the whole suite, this test included',
  },
  {
    first: /^https:\/\/\S+\s+->\s+http:\/\/127\.0\.0\.1:8899\//,
    files: ['README.md', 'README.zh-CN.md'],
    how: 'run',
    why: 'the gateway table: `wirelog url LEFT` prints RIGHT, line by line',
  },
  {
    first: /^model_provider = /,
    files: ['README.md', 'README.zh-CN.md'],
    how: 'run',
    why: 'the Codex config: the real Codex 0.171 runs with it, through the gateway to the fake relay',
  },
  {
    first: /^wirelog run -- codex exec "hello"(\s+#.*)?$/,
    files: ['README.md', 'README.zh-CN.md'],
    how: 'run',
    why: 'wirelog run, with a Node client in place of codex (the trailing # list of agents is a comment to bash)',
  },
  {
    first: /^wirelog doctor$/,
    files: ['README.md'],
    how: 'run',
    why: "after the seed's 404 from the real Codex; its output block is checked",
  },
  {
    first: /^#\d+-#\d+ POST \S+\/chat\/completions\/responses → (404|401)/,
    files: ['README.md', 'README.zh-CN.md'],
    how: 'checked',
    why: "wirelog doctor's output after the real Codex's 404 (and 401), word by word in order",
  },
  {
    first: /^ERROR: unexpected status (404|401) /,
    files: ['README.zh-CN.md'],
    how: 'checked',
    why: "the real Codex's error line for the 404 and the 401",
  },
  {
    first: /^sudo security add-trusted-cert /,
    files: ['README.zh-CN.md'],
    how: 'checked',
    why: "not run (macOS's keychain, as root: not this Linux machine; certs/install.ts's macOS plan is tested in test/ca-install.test.ts), but `wirelog ca` must print it, for the data dir it was given",
  },
  {
    first: /^npm install$/,
    files: ['docs/install.md'],
    how: 'not run',
    why: 'npm install, npm pack and npm install -g of the tarball: test/package.test.ts does them (packs, installs into an empty prefix, starts); it also checks the tarball name written here is the one npm pack makes',
  },
  {
    first: /^export npm_config_better_sqlite3_binary_host=/,
    files: ['docs/install.md'],
    how: 'run',
    why: "the mirror setting: in bash, then npm runs an install script under it and prebuild-install's download URL starts with the mirror",
  },
];

function classify(block: Block): Classified[] {
  return CLASSIFIED.filter(
    (c) => c.files.includes(block.file) && c.first.test(block.lines.find((l) => l.trim())!.trim()),
  );
}

/** The blocks one classification covers, in file order. */
function blocksOf(first: RegExp): Block[] {
  const found = FILES.flatMap(fencedBlocks).filter((b) => first.test(b.lines.find((l) => l.trim())!.trim()));
  if (!found.length) throw new Error(`no fenced block starts with ${first}`);
  return found;
}

/** Inline code spans of a file that match. */
function inlineCode(file: DocFile, pattern: RegExp): string[] {
  return [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/`([^`\n]+)`/g)]
    .map((m) => m[1])
    .filter((code) => pattern.test(code));
}

let upstream: FakeUpstream;
let wirelog: WirelogProcess;
let dataDir: string;
let work: string;
let proxyPort: number;
let uiPort: number;

/** The README's ports and relays, made this test's (see the top of the file). */
function localize(text: string): string {
  return text
    .replaceAll('127.0.0.1:8899', `127.0.0.1:${proxyPort}`)
    .replaceAll('127.0.0.1:8900', `127.0.0.1:${uiPort}`)
    .replaceAll('x666.me', `localhost:${upstream.httpsPort}`)
    .replaceAll('127.0.0.1:41257', `127.0.0.1:${upstream.httpPort}`);
}

/** A folder for PATH where `wirelog` is this checkout's CLI, as `npm link` puts it. */
function wirelogOnPath(dir: string): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(
    path.join(bin, 'wirelog'),
    `#!/bin/sh\nexec "${process.execPath}" ${WIRELOG_NODE_FLAGS.join(' ')} "${WIRELOG_BIN}" "$@"\n`,
    { mode: 0o755 },
  );
  return bin;
}

/** The environment commands run in: a temporary HOME, wirelog on PATH, this test's data dir; no proxy or npm settings of the machine's. */
function commandEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (
      !/^(npm_|https?_proxy|all_proxy|no_proxy|NODE_OPTIONS|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|CURL_CA_BUNDLE|WIRELOG_)/i.test(
        name,
      )
    )
      env[name] = value;
  const home = path.join(work, 'home');
  fs.mkdirSync(home, { recursive: true });
  return {
    ...env,
    HOME: home,
    SHELL: '/bin/bash',
    WIRELOG_HOME: dataDir,
    WIRELOG_LANG: 'en',
    PATH: `${wirelogOnPath(work)}:${process.env.PATH}`,
    TERM: 'dumb',
  };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One command line as a user types it, in bash. */
function bash(command: string, env: NodeJS.ProcessEnv = commandEnv(), cwd = work): Promise<Ran> {
  return new Promise((resolve) => {
    const child = execFile(
      '/bin/bash',
      ['-c', command],
      { env, cwd, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/** The real Codex with a config.toml of a README's, in a home of its own; stdin closed (`codex exec` reads more prompt from an open one). */
function runCodex(name: string, configToml: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  const home = path.join(work, `codex-${name}`);
  const cwd = path.join(home, 'work');
  fs.mkdirSync(cwd, { recursive: true });
  // Codex's background traffic (plugin sync, metrics) off: the captures are the README's call only.
  fs.writeFileSync(
    path.join(home, 'config.toml'),
    `${configToml}\n\n[analytics]\nenabled = false\n\n[features]\nplugins = false\n`,
  );
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CODEX, 'exec', '--skip-git-repo-check', 'hello'],
      {
        cwd,
        env: { ...commandEnv(), HOME: home, CODEX_HOME: home, ...env },
        timeout: 150_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

async function exchanges(): Promise<ExchangeSummary[]> {
  const res = await fetch(`http://127.0.0.1:${uiPort}/api/exchanges?limit=500`);
  return ((await res.json()) as { exchanges: ExchangeSummary[] }).exchanges;
}

/** Waits until an exchange for this URL is stored, and returns it. */
function stored(url: string, status: number): Promise<ExchangeSummary> {
  return eventually(
    async () => (await exchanges()).find((e) => e.url === url && e.status === status),
    `${url} stored with ${status}`,
  );
}

/**
 * Whether `actual` (a program's output) says what a README's quote of it says: the quote's words
 * in order inside one entry of the output (an entry: a line that does not start with a space and
 * the indented lines after it). The README abridges (`...`, a wrapped line, the times left out), so
 * a word of the quote may be followed by words it left out; numbers after `#` and clock times may
 * differ from the run the README was written from.
 */
function saysAsQuoted(actual: string, quote: string): boolean {
  const words = (text: string) =>
    (text.match(/[^\s(),]+/g) ?? [])
      .filter((w) => w !== '...' && w !== '…')
      .map((w) => w.replace(/#\d+/g, '#N').replace(/\d\d:\d\d:\d\d/g, 'T'));
  const wanted = words(quote);
  const entries = actual.split(/\n(?=\S)/);
  return entries.some((entry) => {
    const have = words(entry);
    let at = 0;
    for (const w of have) if (w === wanted[at]) at++;
    return at === wanted.length;
  });
}

describe('the READMEs and docs/install.md: every fenced block classified', () => {
  it('each block is run, checked or not run for a reason named here (a new command fails until it is)', () => {
    const blocks = FILES.flatMap(fencedBlocks);
    expect(blocks.length).toBeGreaterThan(10);
    const unclassified = blocks
      .filter((b) => classify(b).length !== 1)
      .map((b) => `${b.file}:${b.line}: ${b.lines.find((l) => l.trim())}`);
    expect(unclassified).toEqual([]);
    // And no classification is left over from a block that is gone.
    expect(CLASSIFIED.filter((c) => !blocks.some((b) => classify(b).includes(c))).map((c) => String(c.first))).toEqual(
      [],
    );
  });

  it('every inline `wirelog ...` or `eval ...` the README gives as a thing to type is run below', () => {
    // The inline commands this test runs; a new one in README.md fails here until it is added.
    // (`wirelog` alone is the command's name, not a thing to type.)
    const RUN_INLINE = [
      'wirelog url https://x666.me/v1',
      'eval "$(wirelog env)"',
      'wirelog run',
      'wirelog ca',
      'wirelog doctor',
      'wirelog usage',
    ];
    const inline = inlineCode('README.md', /^(wirelog |eval )/);
    expect(inline.filter((code) => !RUN_INLINE.includes(code))).toEqual([]);
  });
});

describe('the README commands against a fake relay, with a wirelog of the test', () => {
  beforeAll(async () => {
    upstream = await startFakeUpstream();
    work = tempDir('wirelog-readme-');
    dataDir = path.join(work, 'data');
    const upstreamCa = path.join(work, 'upstream-ca.pem');
    fs.writeFileSync(upstreamCa, upstream.cert.certPem);
    wirelog = await startWirelogProcess(dataDir, ['--upstream-ca', upstreamCa]);
    proxyPort = Number(new URL(wirelog.proxyUrl).port);
    uiPort = Number(new URL(wirelog.viewerUrl).port);
  });
  afterAll(async () => {
    await wirelog?.stop();
    await upstream?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("the gateway table: `wirelog url LEFT` prints RIGHT, and the README's own example", async () => {
    const lines = blocksOf(/^https:\/\/\S+\s+->\s+http:\/\/127\.0\.0\.1:8899\//).flatMap((b) =>
      b.lines.filter((l) => l.includes('->')),
    );
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) {
      const [left, right] = line.split('->').map((s) => localize(s.trim()));
      const ran = await bash(`wirelog url ${left}`);
      expect(ran.stderr).toBe('');
      expect(ran.stdout.trim(), line).toBe(right);
    }
    const [example] = inlineCode('README.md', /^wirelog url /);
    expect((await bash(localize(example))).stdout.trim()).toBe(localize('http://127.0.0.1:8899/https/x666.me/v1'));
  });

  it("the Codex config block, as written: the real Codex's call goes through the gateway to the relay and is captured", async () => {
    for (const block of blocksOf(/^model_provider = /)) {
      const config = localize(block.text);
      // The key variable the block names, set as the README says to (export X666_API_KEY=...).
      const keyVariable = /env_key = "([A-Z0-9_]+)"/.exec(config)![1];
      const baseUrl = /base_url = "([^"]+)"/.exec(config)![1];
      const before = upstream.received.length;
      const ran = await runCodex(`ok-${block.file}`, config, { [keyVariable]: 'sk-relay-key-0001' });
      expect(ran.stdout + ran.stderr, `${block.file}:${block.line}`).toContain(ANSWER);
      const calls = upstream.received.slice(before).filter((r) => r.method === 'POST');
      expect(calls.map((r) => r.url)).toEqual(['/v1/responses']);
      const exchange = await stored(`https://localhost:${upstream.httpsPort}/v1/responses`, 200);
      expect(exchange.client).toMatch(/^Codex 0\.171/);
      expect(baseUrl).toBe(`http://127.0.0.1:${proxyPort}/https/localhost:${upstream.httpsPort}/v1`);
    }
  }, 400_000);

  it("the Cherry Studio address: the `#` form, sent as Cherry Studio sends it (the address as typed, minus the '#')", async () => {
    for (const file of ['README.md', 'README.zh-CN.md'] as const) {
      const [address] = inlineCode(file, /^http:\/\/127\.0\.0\.1:8899\/\S+#$/);
      expect(address, file).toBeDefined();
      const url = localize(address).slice(0, -1);
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${GOOD_KEY}`,
          'user-agent': 'CherryStudio/1.5.0',
        },
        body: JSON.stringify({ model: 'test-model', stream: true, messages: [{ role: 'user', content: 'hello' }] }),
      });
      expect(res.status, url).toBe(200);
      expect(await res.text()).toContain('"content":"Hel"');
      await stored(`https://localhost:${upstream.httpsPort}/v1/chat/completions`, 200);
    }
  });

  it('wirelog run -- CLIENT: the client reaches the relay through the wirelog serving the data dir, and is captured', async () => {
    // The Node client in codex's place: HTTPS to the relay, trusting only what wirelog run sets.
    const client = `node -e "fetch('https://localhost:${upstream.httpsPort}/v1/responses', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'run-model', input: 'hello' }) }).then((r) => r.json()).then((j) => console.log(j.output[0].content[0].text))"`;
    for (const block of blocksOf(/^wirelog run -- codex exec "hello"(\s+#.*)?$/)) {
      const command = localize(block.text).replace('codex exec "hello"', client);
      const ran = await bash(command);
      expect(ran.stdout + ran.stderr, `${block.file}:${block.line}`).toContain(ANSWER);
      expect(ran.code).toBe(0);
    }
    const runs = (await eventually(async () => {
      const found = (await exchanges()).filter(
        (e) => e.url === `https://localhost:${upstream.httpsPort}/v1/responses` && e.call?.model === 'run-model',
      );
      return found.length === 2 && found;
    }, 'both wirelog run calls stored')) as ExchangeSummary[];
    expect(runs.map((e) => e.status)).toEqual([200, 200]);
  });

  it('eval "$(wirelog env)" in bash: curl afterwards goes through wirelog, trusting its CA', async () => {
    const [line] = inlineCode('README.md', /^eval "\$\(wirelog env\)"$/);
    const ran = await bash(`${line}\ncurl -sS https://localhost:${upstream.httpsPort}/v1/models?from=env`);
    expect(ran.stderr).toBe('');
    expect(ran.stdout).toContain('test-model');
    await stored(`https://localhost:${upstream.httpsPort}/v1/models?from=env`, 200);
  });

  it("the seed's 404 (base_url ending in /chat/completions) from the real Codex: wirelog doctor says what the README quotes, fix line included", async () => {
    const [block] = blocksOf(/^model_provider = /).filter((b) => b.file === 'README.md');
    const seeded = localize(block.text).replace(/(base_url = "[^"]+\/v1)"/, '$1/chat/completions"');
    const codex = await runCodex('seed', seeded, { X666_API_KEY: 'sk-relay-key-0001' });
    expect(codex.code).not.toBe(0);
    expect(codex.stderr).toContain('404 Not Found: Invalid URL (POST /v1/chat/completions/responses)');

    const [doctorBlock] = blocksOf(/^wirelog doctor$/);
    const doctor = await bash(localize(doctorBlock.text));
    expect(doctor.code).toBe(1);
    // The output block right after `wirelog doctor` in README.md.
    const blocks = fencedBlocks('README.md');
    const quoted = localize(blocks[blocks.indexOf(blocks.find((b) => b.line === doctorBlock.line)!) + 1].text);
    expect(quoted).toContain('fix: Set base_url');
    const fixLine = quoted
      .split('\n')
      .find((l) => l.trim().startsWith('fix:'))!
      .trim();
    expect(doctor.stdout).toContain(fixLine);
    expect(saysAsQuoted(doctor.stdout, quoted), `${doctor.stdout}\n---quoted:\n${quoted}`).toBe(true);
  }, 300_000);

  it("README.zh-CN.md's two worked errors, reproduced as it says: the real Codex's error lines and wirelog doctor's", async () => {
    const zh = fs.readFileSync(path.join(ROOT, 'README.zh-CN.md'), 'utf8');
    const [block] = blocksOf(/^model_provider = /).filter((b) => b.file === 'README.zh-CN.md');
    const keyed = localize(block.text).replace(
      /base_url = "[^"]+"/,
      localize('base_url = "http://127.0.0.1:8899/http/127.0.0.1:41257/keyed/v1/chat/completions"'),
    );
    expect(zh).toContain('base_url = "…/v1/chat/completions"');
    // 404: the key is there, the URL is not; 401: the provider has no env_key as well.
    const notFound = await runCodex('zh-404', keyed, { X666_API_KEY: GOOD_KEY });
    const unauthorized = await runCodex('zh-401', keyed.replace(/^env_key = .*$/m, ''), { X666_API_KEY: GOOD_KEY });
    const errors = blocksOf(/^ERROR: unexpected status (404|401) /).map((b) => localize(b.text));
    expect(errors).toHaveLength(2);
    expect(notFound.stderr).toContain(errors.find((e) => e.includes(' 404 '))!);
    expect(unauthorized.stderr).toContain(errors.find((e) => e.includes(' 401 '))!);

    const doctor = await bash('wirelog doctor');
    for (const quoted of blocksOf(/^#\d+-#\d+ POST \S+\/chat\/completions\/responses → (404|401)/).filter(
      (b) => b.file === 'README.zh-CN.md',
    )) {
      expect(
        saysAsQuoted(doctor.stdout, localize(quoted.text)),
        `${quoted.file}:${quoted.line}\n${doctor.stdout}`,
      ).toBe(true);
    }
  }, 400_000);

  it("wirelog ca prints the CA's path and the command for macOS, Debian/Ubuntu, Fedora and Windows (README.zh-CN.md's macOS line among them)", async () => {
    const ran = await bash('wirelog ca');
    expect(ran.code).toBe(0);
    const ca = path.join(dataDir, 'ca/certs/ca.pem');
    expect(ran.stdout).toContain(`wirelog CA certificate: ${ca}`);
    for (const platform of ['macOS', 'Debian / Ubuntu', 'Fedora', 'Windows']) expect(ran.stdout).toContain(platform);
    const [macos] = blocksOf(/^sudo security add-trusted-cert /);
    // The README's path is the default data dir; this test's is WIRELOG_HOME.
    expect(macos.text).toContain('"$HOME/.wirelog/ca/certs/ca.pem"');
    expect(ran.stdout).toContain(macos.text.replace('$HOME/.wirelog', dataDir));
  });

  it('wirelog usage answers for the calls above', async () => {
    const ran = await bash('wirelog usage');
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/\d/);
  });

  it('docs/install.md: the mirror setting reaches prebuild-install as the host of its download URL', async () => {
    const [block] = blocksOf(/^export npm_config_better_sqlite3_binary_host=/);
    const mirror = block.text.split('=').at(-1)!;
    // An install script as npm runs better-sqlite3's: the setting arrives as npm_config_..., and
    // prebuild-install (the one better-sqlite3 uses) builds its download URL from it.
    const pkg = path.join(work, 'mirror-pkg');
    fs.mkdirSync(pkg, { recursive: true });
    // What prebuild-install does in better-sqlite3's install script: its options from the
    // environment (rc.js) and the package's own package.json, then the URL it downloads.
    const prebuild = path.join(ROOT, 'node_modules/prebuild-install');
    const bindingPackage = path.join(ROOT, 'node_modules/better-sqlite3/package.json');
    fs.writeFileSync(
      path.join(pkg, 'url.cjs'),
      [
        `const pkg = require(${JSON.stringify(bindingPackage)});`,
        `const opts = require(${JSON.stringify(`${prebuild}/rc.js`)})(pkg);`,
        'opts.pkg = pkg;',
        `console.log(require(${JSON.stringify(`${prebuild}/util.js`)}).getDownloadUrl(opts));`,
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: 'mirror-check', version: '1.0.0', scripts: { url: 'node url.cjs' } }),
    );
    const ran = await bash(`${block.text}\nnpm run --silent url`, commandEnv(), pkg);
    expect(ran.stderr).toBe('');
    const { version } = JSON.parse(fs.readFileSync(bindingPackage, 'utf8')) as { version: string };
    expect(ran.stdout.trim().startsWith(`${mirror}/v${version}/better-sqlite3-v${version}-node-v`), ran.stdout).toBe(
      true,
    );
    expect(ran.stdout.trim()).toMatch(/-linux-x64\.tar\.gz$/);
  });
});
