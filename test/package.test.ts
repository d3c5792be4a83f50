// `npm pack`, installed into an empty prefix as `npm install -g` would, with runtime
// dependencies only: the prebuilt CLI and viewer start, capture a request and export a HAR.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIRELOG_NODE_FLAGS } from './support/cli.ts';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { eventually, tempDir } from './support/harness.ts';

const run = promisify(execFile);
let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(() => upstream?.close());

describe('wirelog as an npm package', () => {
  it('packs prebuilt, installs with runtime dependencies only, starts, captures and exports', async () => {
    const work = tempDir('wirelog-pack-');
    const { stdout: packed } = await run('npm', ['pack', '--pack-destination', work, '--json'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const [{ filename, files }] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    const paths = files.map((f) => f.path).sort();
    for (const needed of [
      'bin/wirelog.js',
      'dist/cli.js',
      'dist/storage-worker.js',
      'dist/compare-worker.js',
      'dist/node-proxy-bootstrap.cjs',
      'dist/python/sitecustomize.py',
      'dist/viewer/index.html',
      'README.md',
      'package.json',
    ])
      expect(paths).toContain(needed);
    expect(paths.filter((p) => p.endsWith('.ts') || p.startsWith('test/') || p.startsWith('node_modules/'))).toEqual(
      [],
    );
    // What `npm publish` would send is this tarball, file for file (the dry run packs again:
    // prepack builds, and an unchanged build packs the same files).
    const { stdout: dryRun } = await run('npm', ['publish', '--dry-run', '--json'], { maxBuffer: 16 * 1024 * 1024 });
    const published = (
      JSON.parse(dryRun) as Record<string, { id: string; filename: string; files: { path: string }[] }>
    ).wirelog;
    expect(published.filename).toBe(filename);
    expect(published.files.map((f) => f.path).sort()).toEqual(paths);
    const { stdout: listed } = await run('tar', ['-tzf', path.join(work, filename)], { maxBuffer: 16 * 1024 * 1024 });
    expect(
      listed
        .split('\n')
        .filter(Boolean)
        .map((p) => p.replace(/^package\//, ''))
        .sort(),
    ).toEqual(paths);
    // docs/install.md's install line names this tarball.
    expect(fs.readFileSync('docs/install.md', 'utf8')).toContain(`npm install -g ./${filename}`);

    const prefix = path.join(work, 'prefix');
    // From the registry (the npm cache answers what it can): a fresh machine's `npm install -g`.
    // better-sqlite3 compiles from source here: about 70 s on an idle machine, over 300 s on a
    // busy one (a bound on a hang, not a figure; killed with its compilers if the test times out).
    await run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        path.join(work, filename),
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
      ],
      { maxBuffer: 16 * 1024 * 1024, timeout: 900_000 },
    );
    const installed = path.join(prefix, 'lib', 'node_modules', 'wirelog');
    const modules = fs.readdirSync(path.join(installed, 'node_modules'));
    for (const devOnly of ['vite', 'esbuild', 'tsx', 'react', 'react-dom', 'vitest', 'typescript', 'playwright-core'])
      expect(modules).not.toContain(devOnly);
    const bin = path.join(prefix, 'bin', 'wirelog');
    expect((await run(bin, ['--version'])).stdout.trim()).toBe(
      JSON.parse(fs.readFileSync('package.json', 'utf8')).version,
    );

    const dataDir = path.join(work, 'data');
    const upstreamCa = path.join(work, 'upstream-ca.pem');
    fs.writeFileSync(upstreamCa, upstream.cert.certPem);
    const child = spawn(
      bin,
      ['start', '--proxy-port', '0', '--ui-port', '0', '--data-dir', dataDir, '--upstream-ca', upstreamCa],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    try {
      await eventually(() => output.includes('wirelog is capturing'), `wirelog start (${output})`, 30_000);
      const proxy = /proxy: +(http:\/\/\S+)/.exec(output)![1];
      const viewer = /viewer: +(http:\/\/\S+)/.exec(output)![1];
      const ca = /CA: +(\S+)/.exec(output)![1];
      const { stdout: models } = await run('curl', [
        '-s',
        '--proxy',
        proxy,
        '--cacert',
        ca,
        `${upstream.httpsUrl}/v1/models`,
      ]);
      expect(models).toContain('test-model');
      const page = await fetch(viewer);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      await eventually(
        async () =>
          ((await (await fetch(`${viewer}/api/exchanges`)).json()) as { exchanges: unknown[] }).exchanges.length === 1,
        'the capture to be stored',
      );
      const { stdout: har } = await run(bin, ['export', '--har', '-', '--data-dir', dataDir]);
      const entries = (JSON.parse(har) as { log: { entries: { request: { url: string } }[] } }).log.entries;
      expect(entries.map((e) => e.request.url)).toEqual([`${upstream.httpsUrl}/v1/models`]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 1_200_000);

  it('package.json is ready to publish: name, version, bin, engines, files, prepack builds, the install hint packed', () => {
    const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
      name: string;
      version: string;
      private?: boolean;
      bin: Record<string, string>;
      engines: { node: string };
      files: string[];
      scripts: Record<string, string>;
    };
    expect(pkg.name).toBe('wirelog');
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.private).toBeUndefined();
    expect(pkg.bin).toEqual({ wirelog: 'bin/wirelog.js' });
    expect(fs.readFileSync('bin/wirelog.js', 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(pkg.engines.node).toBe('>=20.19');
    expect(pkg.scripts.prepack).toBe('node scripts/build.mjs');
    // The postinstall runs in the installed package: its script must be in the tarball.
    expect(pkg.scripts.postinstall).toBe('node scripts/install-hint.cjs');
    expect(pkg.files).toEqual(
      expect.arrayContaining(['bin/', 'dist/', 'scripts/install-hint.cjs', 'docs/install.md', 'README.md']),
    );
  });

  it('npm pack in a fresh clone (no node_modules) fails in one line: run npm install first', async () => {
    // The clone's package.json and build script, and nothing installed (not in any folder above either).
    const clone = tempDir('wirelog-fresh-clone-');
    expect(fs.existsSync(path.join(path.dirname(clone), 'node_modules'))).toBe(false);
    fs.mkdirSync(path.join(clone, 'scripts'));
    fs.copyFileSync('package.json', path.join(clone, 'package.json'));
    fs.copyFileSync('scripts/build.mjs', path.join(clone, 'scripts/build.mjs'));
    const failed = await run('npm', ['pack'], { cwd: clone }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed).not.toBeNull();
    const ours = failed!.stderr.split('\n').filter((line) => !line.startsWith('npm '));
    expect(ours.filter(Boolean)).toEqual([
      'wirelog build: esbuild is not installed (a fresh clone): run npm install first',
    ]);
    expect(failed!.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    fs.rmSync(clone, { recursive: true, force: true });
  });

  it('npm start runs node with the flags the tests and the benchmark run wirelog with', () => {
    const { scripts } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.start).toMatch(/&& node (.*?) ?bin\/wirelog\.js start$/);
    expect(/&& node (.*?) ?bin\/wirelog\.js start$/.exec(scripts.start)![1].split(' ').filter(Boolean)).toEqual(
      WIRELOG_NODE_FLAGS,
    );
  });
});
