// The README's screenshot, taken from a real run so it stays true (`npm run screenshot`, or
// `tsx scripts/screenshot.ts --out FILE`): wirelog with a temporary data dir in front of a fake
// relay (test/support/fake-upstream.ts), the real Codex from node_modules calling through the
// gateway with the seed's base_url ending in /chat/completions (the 404 and Codex's retries), then the viewer in Debian's Chromium at
// 1280x800, light theme, English, with the last failed call selected and its diagnosis shown.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../test/support/browser.ts';
import { startWirelogProcess, type WirelogProcess } from '../test/support/cli.ts';
import { startFakeUpstream, type FakeUpstream } from '../test/support/fake-upstream.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CODEX = path.join(ROOT, 'node_modules/@openai/codex/bin/codex.js');
const VIEWPORT = { width: 1280, height: 800 };

function outPath(argv: string[]): string {
  const at = argv.indexOf('--out');
  return path.resolve(at >= 0 && argv[at + 1] ? argv[at + 1] : path.join(ROOT, 'docs/screenshot.png'));
}

/** The real Codex, `codex exec "hello"`, with a provider whose base_url is `baseUrl`; its failure is expected for the seed. */
function codexExec(home: string, baseUrl: string): Promise<void> {
  const cwd = path.join(home, 'work');
  fs.mkdirSync(cwd, { recursive: true });
  fs.writeFileSync(
    path.join(home, 'config.toml'),
    [
      'model = "gpt-5-codex"',
      'model_provider = "x666"',
      '',
      '[model_providers.x666]',
      'name = "x666"',
      `base_url = "${baseUrl}"`,
      'env_key = "X666_API_KEY"',
      'wire_api = "responses"',
      '',
      '[analytics]',
      'enabled = false',
      '',
      '[features]',
      'plugins = false',
      '',
    ].join('\n'),
  );
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    CODEX_HOME: home,
    X666_API_KEY: 'sk-x666-demo-key-7f3a',
    TERM: 'dumb',
  };
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CODEX, 'exec', '--skip-git-repo-check', 'hello'],
      { cwd, env, timeout: 120_000 },
      () => resolve(),
    );
    child.stdin?.end();
  });
}

async function main(): Promise<void> {
  const out = outPath(process.argv.slice(2));
  if (!fs.existsSync(CODEX))
    throw new Error(`${CODEX} is missing: run npm install first (the screenshot drives the real Codex)`);
  const work = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'wirelog-screenshot-'));
  let upstream: FakeUpstream | undefined;
  let wirelog: WirelogProcess | undefined;
  const browser = await launchBrowser();
  try {
    upstream = await startFakeUpstream();
    const upstreamCa = path.join(work, 'upstream-ca.pem');
    fs.writeFileSync(upstreamCa, upstream.cert.certPem);
    wirelog = await startWirelogProcess(path.join(work, 'data'), ['--upstream-ca', upstreamCa]);
    const gateway = `${wirelog.proxyUrl}/https/localhost:${upstream.httpsPort}/v1`;
    await codexExec(path.join(work, 'codex-seed'), `${gateway}/chat/completions`);

    // The last of Codex's tries at the seed's URL, once it is stored with its diagnosis.
    const deadline = Date.now() + 60_000;
    let failed: { id: number } | undefined;
    while (!failed) {
      if (Date.now() > deadline) throw new Error('the seed 404 was not stored within 60 s');
      const { exchanges } = (await (await fetch(`${wirelog.viewerUrl}/api/exchanges?limit=50`)).json()) as {
        exchanges: { id: number; status: number | null; url: string; diagnosis: { severity: string } | null }[];
      };
      failed = exchanges.find(
        (e) => e.status === 404 && e.url.endsWith('/chat/completions/responses') && e.diagnosis?.severity === 'error',
      );
      if (!failed) await new Promise((r) => setTimeout(r, 100));
    }

    const context = await browser.newContext({
      viewport: VIEWPORT,
      deviceScaleFactor: 1,
      colorScheme: 'light',
      locale: 'en-US',
    });
    const page = await context.newPage();
    await page.goto(`${wirelog.viewerUrl}/exchanges/${failed.id}`);
    await page.getByTestId('diagnosis').first().waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => document.querySelector('[data-testid="diagnosis"]')?.textContent?.includes('Fix:'),
      undefined,
      { timeout: 30_000 },
    );
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out });
    await context.close();
    console.log(`wrote ${path.relative(process.cwd(), out) || out} (${VIEWPORT.width}x${VIEWPORT.height})`);
  } finally {
    await browser.close();
    await wirelog?.stop();
    await upstream?.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`screenshot: ${err.message}`);
  process.exitCode = 1;
});
