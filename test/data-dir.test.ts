// The data dir cannot be turned against its user: a link, a FIFO, a directory or another user's
// file planted in it is refused in one line naming the file and the fix, and nothing outside the
// dir is read or written through it. Each case runs the real command line.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { caFiles, loadOrCreateCa } from '../certs/ca.ts';
import { databasePath, openDatabase } from '../db/schema.ts';
import { fingerprinter } from '../proxy/secret-memory.ts';
import { startWirelogProcess, WIRELOG_BIN, WIRELOG_NODE_FLAGS, type CliResult } from './support/cli.ts';
import { tempDir } from './support/harness.ts';

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const NOT_ROOT = 'needs root to give files to user nobody (uid 65534); run the tests as root to see it';
/** A root-only case's title, saying why it is skipped when it is. */
const asRootOnly = (title: string) => (asRoot ? title : `${title} (skipped: ${NOT_ROOT})`);

/** The real CLI, killed (by its pid) if it has not ended within `ms`: a FIFO must never hang it. */
function runBounded(args: string[], ms = 20_000): Promise<CliResult & { timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

function start(dataDir: string): Promise<CliResult & { timedOut: boolean }> {
  return runBounded(['start', '--data-dir', dataDir, '--proxy-port', '0', '--ui-port', '0']);
}

/** One line, `wirelog: ...`, with no stack trace, and a failing exit code. */
function expectOneLineRefusal(result: CliResult & { timedOut: boolean }): string {
  expect(result.timedOut).toBe(false);
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^wirelog: /);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  return lines[0];
}

/** A data dir as a first start leaves it: CA, leaf key, database, fingerprint key (made once, copied per case). */
let seed: string;
beforeAll(() => {
  seed = tempDir('wirelog-seed-');
  loadOrCreateCa(seed);
  openDatabase(seed).close();
  fingerprinter(seed);
});

function seededDir(): string {
  const dir = tempDir();
  fs.cpSync(seed, dir, { recursive: true });
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** A file outside the data dir that a planted link points at: it must be the same afterwards. */
function outsideFile(): { file: string; unchanged: () => void } {
  const file = path.join(tempDir('wirelog-outside-'), 'victim');
  fs.writeFileSync(file, 'ORIGINAL CONTENTS\n', { mode: 0o644 });
  const before = fs.statSync(file);
  return {
    file,
    unchanged() {
      const after = fs.statSync(file);
      expect(fs.readFileSync(file, 'utf8')).toBe('ORIGINAL CONTENTS\n');
      expect([after.size, after.mtimeMs, after.mode, after.uid]).toEqual([
        before.size,
        before.mtimeMs,
        before.mode,
        before.uid,
      ]);
    },
  };
}

function mkfifo(file: string): void {
  execFileSync('mkfifo', ['-m', '600', file]);
}

// Where each file lives in a data dir, and what the refusal's fix says for it.
const FILES: Record<string, { at: (dir: string) => string; fix: RegExp }> = {
  'instance.json': { at: (dir) => path.join(dir, 'instance.json'), fix: /remove it \(rm \S+instance\.json\)/ },
  database: { at: (dir) => databasePath(dir), fix: /move it away \(mv\)/ },
  'database -wal': { at: (dir) => `${databasePath(dir)}-wal`, fix: /move it away \(mv\)/ },
  'database -shm': { at: (dir) => `${databasePath(dir)}-shm`, fix: /move it away \(mv\)/ },
  'CA key': { at: (dir) => caFiles(dir).keyPath, fix: /run `wirelog ca --regenerate` and trust the new CA/ },
  'CA certificate': { at: (dir) => caFiles(dir).certPath, fix: /run `wirelog ca --regenerate` and trust the new CA/ },
  'CA public key': { at: (dir) => caFiles(dir).publicKeyPath, fix: /run `wirelog ca --regenerate`/ },
  'leaf key': { at: (dir) => caFiles(dir).leafKeyPath, fix: /run `wirelog ca --regenerate`/ },
  'fingerprint.key': {
    at: (dir) => path.join(dir, 'fingerprint.key'),
    fix: /remove it \(rm \S+fingerprint\.key\) and start again/,
  },
};

describe('wirelog start refuses what was planted in its data dir, in one line, touching nothing outside', () => {
  for (const [name, { at, fix }] of Object.entries(FILES)) {
    it(`a symbolic link as the ${name}, pointing outside`, async () => {
      const dataDir = seededDir();
      const outside = outsideFile();
      const file = at(dataDir);
      fs.rmSync(file, { force: true });
      fs.symlinkSync(outside.file, file);
      const line = expectOneLineRefusal(await start(dataDir));
      expect(line).toContain(
        `${file} is a symbolic link (to ${outside.file}), and wirelog follows no link in its data dir`,
      );
      expect(line).toMatch(fix);
      outside.unchanged();
      // Refused, not replaced: the user sees what was planted, where it was.
      expect(fs.readlinkSync(file)).toBe(outside.file);
    });
  }

  for (const name of ['instance.json', 'database', 'CA key', 'fingerprint.key']) {
    it(`a FIFO as the ${name}: refused at once, no hang`, async () => {
      const dataDir = seededDir();
      const file = FILES[name].at(dataDir);
      fs.rmSync(file, { force: true });
      mkfifo(file);
      const line = expectOneLineRefusal(await start(dataDir));
      expect(line).toContain(`${file} is a named pipe (FIFO), not a file wirelog wrote`);
      expect(line).toMatch(FILES[name].fix);
    });
  }

  for (const name of ['instance.json', 'database', 'CA certificate', 'fingerprint.key']) {
    it(`a directory as the ${name}`, async () => {
      const dataDir = seededDir();
      const file = FILES[name].at(dataDir);
      fs.rmSync(file, { force: true });
      fs.mkdirSync(file);
      const line = expectOneLineRefusal(await start(dataDir));
      expect(line).toContain(`${file} is a directory, not a file wirelog wrote`);
    });
  }

  it('a dangling symbolic link as fingerprint.key (was a stack trace)', async () => {
    const dataDir = seededDir();
    const file = FILES['fingerprint.key'].at(dataDir);
    const nowhere = path.join(tempDir('wirelog-outside-'), 'not-there');
    fs.rmSync(file);
    fs.symlinkSync(nowhere, file);
    const line = expectOneLineRefusal(await start(dataDir));
    expect(line).toBe(
      `wirelog: the fingerprint key ${file} is a symbolic link (to ${nowhere}), and wirelog follows no link in its data dir: remove it (rm ${file}) and start again: wirelog makes a new one (fingerprints stored so far will then differ from new ones)`,
    );
    expect(fs.existsSync(nowhere)).toBe(false);
  });

  it('a folder of the CA linked outside: refused, nothing written or removed there, even by `wirelog ca --regenerate`', async () => {
    const dataDir = seededDir();
    const keys = path.dirname(caFiles(dataDir).keyPath);
    const elsewhere = tempDir('wirelog-outside-');
    fs.cpSync(keys, elsewhere, { recursive: true });
    const before = fs.readdirSync(elsewhere).sort();
    fs.rmSync(keys, { recursive: true });
    fs.symlinkSync(elsewhere, keys);
    const line = expectOneLineRefusal(await start(dataDir));
    expect(line).toContain(
      `the CA folder ${keys} cannot be used: it is a symbolic link (to ${elsewhere}), and wirelog follows no link inside its data dir; move it away (mv ${keys} ${keys}.untrusted)`,
    );
    expectOneLineRefusal(await runBounded(['ca', '--regenerate', '--data-dir', dataDir]));
    expect(fs.readdirSync(elsewhere).sort()).toEqual(before);
  });
});

describe('what wirelog writes in its data dir is never written through a link', () => {
  it('wirelog env: the trust bundle and the wget settings', async () => {
    for (const planted of [
      (dir: string) => path.join(caFiles(dir).dir, 'bundle.pem'),
      (dir: string) => path.join(dir, 'clients', 'wgetrc'),
    ]) {
      const dataDir = seededDir();
      fs.mkdirSync(path.join(dataDir, 'clients'), { recursive: true, mode: 0o700 });
      const outside = outsideFile();
      const file = planted(dataDir);
      fs.symlinkSync(outside.file, file);
      const line = expectOneLineRefusal(await runBounded(['env', '--data-dir', dataDir]));
      expect(line).toContain(`${file} is a symbolic link (to ${outside.file})`);
      expect(line).toMatch(/remove it \(rm \S+\): wirelog writes it again/);
      outside.unchanged();
    }
  });
});

describe('the data dir itself', () => {
  it('of the user, but others can enter it (0777): made 0700, said once, and wirelog starts', async () => {
    const dataDir = seededDir();
    fs.chmodSync(dataDir, 0o777);
    const server = await startWirelogProcess(dataDir);
    try {
      expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
      expect(server.output()).toContain(`the data dir ${dataDir} could be read by other users (mode 777)`);
    } finally {
      await server.stop();
    }
  });

  it('a missing fingerprint.key is made again (0600), and wirelog starts', async () => {
    const dataDir = seededDir();
    const file = path.join(dataDir, 'fingerprint.key');
    fs.rmSync(file);
    const server = await startWirelogProcess(dataDir);
    await server.stop();
    const stat = fs.lstatSync(file);
    expect(stat.isFile()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(stat.size).toBe(32);
  });

  it('given as a link the user made to a directory of theirs: followed once; its files land in that directory', async () => {
    const real = seededDir();
    const link = path.join(tempDir(), 'wirelog-home');
    fs.symlinkSync(real, link);
    const result = await runBounded(['ca', '--data-dir', link]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(caFiles(link).certPath);
  });

  it('a file, or a link that leads nowhere, in its place', async () => {
    const parent = tempDir();
    const file = path.join(parent, 'a-file');
    fs.writeFileSync(file, '');
    expect(expectOneLineRefusal(await start(file))).toContain(
      `the data dir ${file} cannot be used: it is a file, not a directory; choose another with --data-dir or WIRELOG_HOME`,
    );
    const dangling = path.join(parent, 'dangling');
    fs.symlinkSync(path.join(parent, 'nowhere'), dangling);
    expect(expectOneLineRefusal(await start(dangling))).toContain(
      `the data dir ${dangling} cannot be used: it is a symbolic link (to ${path.join(parent, 'nowhere')}) that leads nowhere`,
    );
  });
});

describe('files and dirs of another user, or keys others can read', () => {
  it.skipIf(!asRoot)(asRootOnly('the data dir belongs to user nobody: refused, nothing created in it'), async () => {
    const dataDir = tempDir();
    fs.chownSync(dataDir, NOBODY, NOBODY);
    const line = expectOneLineRefusal(await start(dataDir));
    expect(line).toBe(
      `wirelog: the data dir ${dataDir} cannot be used: it belongs to user nobody (uid ${NOBODY}), mode 700, not to you (uid 0), and its owner can read and plant anything in it; choose another with --data-dir or WIRELOG_HOME`,
    );
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it.skipIf(!asRoot)(asRootOnly('the data dir given as a link made by user nobody: refused'), async () => {
    const real = seededDir();
    const link = path.join(tempDir(), 'planted-home');
    fs.symlinkSync(real, link);
    fs.lchownSync(link, NOBODY, NOBODY);
    expect(expectOneLineRefusal(await start(link))).toContain(
      `the data dir ${link} cannot be used: it is a symbolic link (to ${real}) made by user nobody (uid ${NOBODY}), who can point it elsewhere at any time`,
    );
  });

  it.skipIf(!asRoot)(
    asRootOnly(
      'a CA made and still owned by user nobody, key mode 0644: refused; `wirelog ca --regenerate` replaces it with one of ours',
    ),
    async () => {
      const dataDir = seededDir();
      const files = caFiles(dataDir);
      fs.chmodSync(files.keyPath, 0o644);
      for (const file of [files.certPath, files.keyPath, files.publicKeyPath, files.leafKeyPath])
        fs.chownSync(file, NOBODY, NOBODY);
      const line = expectOneLineRefusal(await start(dataDir));
      expect(line).toMatch(
        /the CA (certificate|key) \S+ belongs to user nobody \(uid 65534\), mode 6[04]4, not to you \(uid 0\): its owner could have written it: run `wirelog ca --regenerate` and trust the new CA/,
      );
      const before = fs.readFileSync(files.keyPath, 'utf8');
      const regenerated = await runBounded(['ca', '--regenerate', '--data-dir', dataDir]);
      expect(regenerated.code, regenerated.stderr).toBe(0);
      const key = fs.statSync(files.keyPath);
      expect([key.uid, key.mode & 0o777]).toEqual([0, 0o600]);
      expect(fs.readFileSync(files.keyPath, 'utf8')).not.toBe(before);
      expect(fs.statSync(files.certPath).uid).toBe(0);
    },
  );

  it.skipIf(!asRoot)(
    asRootOnly('the CA key alone owned by nobody, and the fingerprint key and the database owned by nobody'),
    async () => {
      for (const file of [
        caFiles,
        (dir: string) => ({ keyPath: path.join(dir, 'fingerprint.key') }),
        (dir: string) => ({ keyPath: databasePath(dir) }),
      ]) {
        const dataDir = seededDir();
        const target = file(dataDir).keyPath;
        fs.chownSync(target, NOBODY, NOBODY);
        expect(expectOneLineRefusal(await start(dataDir))).toContain(
          `${target} belongs to user nobody (uid ${NOBODY}), mode 600, not to you`,
        );
      }
    },
  );

  it.skipIf(!asRoot)(
    asRootOnly(
      "an instance.json of user nobody's naming their proxy: `wirelog env` and `wirelog run` refuse it instead of sending traffic there",
    ),
    async () => {
      const dataDir = seededDir();
      const theirs = net.createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => theirs.listen(0, '127.0.0.1', resolve));
      try {
        const port = (theirs.address() as net.AddressInfo).port;
        const file = path.join(dataDir, 'instance.json');
        fs.writeFileSync(
          file,
          JSON.stringify({
            pid: process.pid,
            proxyUrl: `http://127.0.0.1:${port}`,
            proxyPort: port,
            viewerUrl: null,
            startedAt: new Date().toISOString(),
          }),
          { mode: 0o600 },
        );
        fs.chownSync(file, NOBODY, NOBODY);
        for (const args of [['env'], ['run', '--', 'true']]) {
          const result = await runBounded([args[0], '--data-dir', dataDir, ...args.slice(1)]);
          expect(expectOneLineRefusal(result)).toContain(
            `the instance record ${file} belongs to user nobody (uid ${NOBODY})`,
          );
          expect(result.stdout).not.toContain(String(port));
        }
      } finally {
        await new Promise((resolve) => theirs.close(resolve));
      }
    },
  );

  it('a CA key of ours that others can read (0644): refused, naming chmod 600; after it, wirelog ca works', async () => {
    const dataDir = seededDir();
    const key = caFiles(dataDir).keyPath;
    fs.chmodSync(key, 0o644);
    const line = expectOneLineRefusal(await runBounded(['ca', '--data-dir', dataDir]));
    expect(line).toBe(
      `wirelog: the CA key ${key} can be read by other users (mode 644): run \`chmod 600 ${key}\` (or, if someone may have copied it: run \`wirelog ca --regenerate\` and trust the new CA)`,
    );
    fs.chmodSync(key, 0o600);
    expect((await runBounded(['ca', '--data-dir', dataDir])).code).toBe(0);
  });
});
