// `wirelog ca --install/--uninstall [--nss] [--java]` (issue 29) against a temporary HOME: the
// real certutil on an NSS database made there (Chromium's ~/.pki/nssdb, a Firefox profile), the
// real keytool on a copy of the JDK's cacerts (JAVA_HOME of the test's own), and stubs for the
// system store's commands first on PATH (install, rm, update-ca-certificates record their
// arguments and change nothing), so no real trust store is ever touched. The plan for other
// platforms and for a user without root is checked as data.
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTrust, type Host } from '../certs/install.ts';
import { runCli } from './support/cli.ts';

const have = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
const JDK_CACERTS = ['/usr/lib/jvm/default-java/lib/security/cacerts', '/etc/ssl/certs/java/cacerts'].find((f) =>
  fs.existsSync(f),
);
const tools = have('certutil') && have('keytool') && JDK_CACERTS !== undefined;

let root: string;
let home: string;
let dataDir: string;
let stubs: string;
let log: string;
let javaHome: string;
let env: NodeJS.ProcessEnv;
let certPath: string;
let fingerprint: string;

function stub(name: string): void {
  fs.writeFileSync(
    path.join(stubs, name),
    `#!/bin/sh\n{ printf '%s' ${name}; for a; do printf ' %s' "$a"; done; echo; } >> '${log}'\n`,
    { mode: 0o755 },
  );
}

const nssHolds = (dir: string) =>
  spawnSync('certutil', ['-L', '-d', `sql:${dir}`, '-n', 'wirelog'], { encoding: 'utf8' });
const javaHolds = () =>
  spawnSync(
    'keytool',
    [
      '-list',
      '-v',
      '-alias',
      'wirelog',
      '-keystore',
      path.join(javaHome, 'lib/security/cacerts'),
      '-storepass',
      'changeit',
    ],
    { encoding: 'utf8' },
  );

describe.skipIf(!tools)('wirelog ca --install / --uninstall with the real certutil and keytool', () => {
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-ca-install-'));
    // A data dir whose path needs quoting: the printed commands must still run only what they show.
    dataDir = path.join(root, "data dir's $HOME");
    home = path.join(root, 'home');
    stubs = path.join(root, 'stubs');
    log = path.join(root, 'system-commands.log');
    javaHome = path.join(root, 'jdk');
    fs.mkdirSync(home);
    fs.mkdirSync(stubs);
    for (const name of ['install', 'rm', 'update-ca-certificates']) stub(name);
    fs.mkdirSync(path.join(javaHome, 'lib/security'), { recursive: true });
    fs.copyFileSync(JDK_CACERTS!, path.join(javaHome, 'lib/security/cacerts'));
    // A Firefox profile with its NSS database, as Firefox makes it.
    const profile = path.join(home, '.mozilla/firefox/abcd1234.default-release');
    fs.mkdirSync(profile, { recursive: true });
    execFileSync('certutil', ['-N', '-d', `sql:${profile}`, '--empty-password']);
    env = { HOME: home, PATH: `${stubs}:${process.env.PATH}`, JAVA_HOME: javaHome };
    const shown = await runCli(['ca', '--pem', '--data-dir', dataDir], { env });
    certPath = path.join(dataDir, 'ca/certs/ca.pem');
    fingerprint = new X509Certificate(shown.stdout).fingerprint256;
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('wirelog ca prints the certutil and keytool lines, quoted: pasted into sh they trust the CA in that database', async () => {
    const r = await runCli(['ca', '--data-dir', dataDir], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    const chromium = lines.find((l) => l.startsWith('certutil -d sql:"$HOME/.pki/nssdb"'))!;
    expect(chromium).toBe(
      `certutil -d sql:"$HOME/.pki/nssdb" -A -t C,, -n wirelog -i '${certPath.replace(/'/g, `'\\''`)}'`,
    );
    expect(lines.some((l) => l.startsWith('keytool -importcert') && l.includes('-alias wirelog'))).toBe(true);
    expect(r.stdout).toContain('wirelog ca --install [--nss] [--java]');
    // Run as printed, in a HOME of its own with an empty database.
    const pasteHome = path.join(root, 'paste-home');
    fs.mkdirSync(path.join(pasteHome, '.pki/nssdb'), { recursive: true });
    execFileSync('certutil', ['-N', '-d', `sql:${path.join(pasteHome, '.pki/nssdb')}`, '--empty-password']);
    execFileSync('sh', ['-c', chromium], { env: { ...process.env, HOME: pasteHome } });
    expect(nssHolds(path.join(pasteHome, '.pki/nssdb')).stdout).toContain(fingerprint.slice(0, 20));
  });

  it('--install --nss --java: each command printed, then the CA trusted in every store; a second install replaces it', async () => {
    const r = await runCli(['ca', '--install', '--nss', '--java', '--data-dir', dataDir], { env });
    // keytool says its own line on stderr; wirelog says nothing there when all went well.
    expect(r.stderr).not.toContain('wirelog:');
    expect(r.code).toBe(0);
    const nssdb = path.join(home, '.pki/nssdb');
    const profile = path.join(home, '.mozilla/firefox/abcd1234.default-release');
    const quoted = `'${certPath.replace(/'/g, `'\\''`)}'`;
    // Printed before it ran, in order, quoted for the shell.
    const shown = r.stdout.split('\n').filter((l) => l.startsWith('$ '));
    expect(shown).toEqual([
      `$ install -m 0644 ${quoted} /usr/local/share/ca-certificates/wirelog.crt`,
      '$ update-ca-certificates',
      `$ mkdir -p -m 0700 ${nssdb}`,
      `$ certutil -d sql:${nssdb} -N --empty-password`,
      `$ certutil -d sql:${nssdb} -A -t C,, -n wirelog -i ${quoted}`,
      `$ certutil -d sql:${profile} -A -t C,, -n wirelog -i ${quoted}`,
      `$ keytool -importcert -noprompt -trustcacerts -alias wirelog -file ${quoted} -keystore ${path.join(javaHome, 'lib/security/cacerts')} -storepass changeit`,
    ]);
    // The system store's commands ran (the stubs), with the CA file.
    expect(fs.readFileSync(log, 'utf8').split('\n')).toEqual([
      `install -m 0644 ${certPath} /usr/local/share/ca-certificates/wirelog.crt`,
      'update-ca-certificates',
      '',
    ]);
    for (const db of [nssdb, profile]) {
      const listed = nssHolds(db);
      expect(listed.status).toBe(0);
      expect(listed.stdout).toContain(fingerprint.slice(0, 20));
      // Trusted to issue server certificates (C), as the printed -t said.
      expect(spawnSync('certutil', ['-L', '-d', `sql:${db}`], { encoding: 'utf8' }).stdout).toMatch(/wirelog\s+C,,/);
    }
    expect(javaHolds().stdout).toContain(fingerprint);

    const again = await runCli(['ca', '--install', '--nss', '--java', '--data-dir', dataDir], { env });
    expect(again.code).toBe(0);
    // The CA already there is removed first: one entry each, never two.
    expect(again.stdout).toContain(`$ certutil -d sql:${nssdb} -D -n wirelog`);
    expect(again.stdout).toContain('$ keytool -delete -noprompt -alias wirelog');
    expect(
      spawnSync('certutil', ['-L', '-d', `sql:${nssdb}`], { encoding: 'utf8' }).stdout.match(/^wirelog /gm),
    ).toHaveLength(1);
  });

  it('--uninstall --nss --java takes it out of each store; a second one finds nothing to remove', async () => {
    fs.writeFileSync(log, '');
    const r = await runCli(['ca', '--uninstall', '--nss', '--java', '--data-dir', dataDir], { env });
    expect(r.code).toBe(0);
    expect(fs.readFileSync(log, 'utf8').split('\n')).toEqual([
      'rm -f /usr/local/share/ca-certificates/wirelog.crt',
      'update-ca-certificates --fresh',
      '',
    ]);
    expect(nssHolds(path.join(home, '.pki/nssdb')).status).not.toBe(0);
    expect(nssHolds(path.join(home, '.mozilla/firefox/abcd1234.default-release')).status).not.toBe(0);
    expect(javaHolds().status).not.toBe(0);
    const again = await runCli(['ca', '--uninstall', '--nss', '--java', '--data-dir', dataDir], { env });
    expect(again.stderr).not.toContain('wirelog:');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('the wirelog CA is not there, nothing to remove');
  });

  it("a command that fails is said in one line with its exit code, and the store's next commands are not run", async () => {
    fs.writeFileSync(path.join(stubs, 'update-ca-certificates'), '#!/bin/sh\nexit 3\n', { mode: 0o755 });
    try {
      const r = await runCli(['ca', '--install', '--data-dir', dataDir], { env });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        'wirelog: the system store /usr/local/share/ca-certificates/wirelog.crt: `update-ca-certificates` failed (exit 3); the commands after it were not run: fix the cause and run wirelog ca again',
      );
    } finally {
      stub('update-ca-certificates');
    }
  });

  it('flags that do not go together are refused in one line', async () => {
    const both = await runCli(['ca', '--install', '--uninstall', '--data-dir', dataDir], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--install and --uninstall go one at a time');
    const alone = await runCli(['ca', '--java', '--data-dir', dataDir], { env });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--nss and --java choose stores for --install or --uninstall');
  });
});

describe('the plan on other machines (data, nothing run)', () => {
  const cert = path.join(os.tmpdir(), `wirelog-plan-${process.pid}.pem`);
  beforeAll(() => {
    // Any certificate will do for the SHA-1 macOS deletes by.
    const pem = fs
      .readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8')
      .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0];
    fs.writeFileSync(cert, pem);
  });
  afterAll(() => fs.rmSync(cert, { force: true }));

  const host = (over: Partial<Host>): Host => ({
    platform: 'linux',
    home: '/home/u',
    isRoot: false,
    which: (p) => (['update-ca-certificates', 'certutil', 'keytool', 'java'].includes(p) ? `/usr/bin/${p}` : null),
    exists: (f) => f === '/jdk/lib/security/cacerts',
    writable: () => false,
    folders: () => [],
    holds: () => false,
    env: { JAVA_HOME: '/jdk' },
    ...over,
  });

  it('Debian without root: nothing run, the sudo commands given', () => {
    const [system, , java] = planTrust('install', cert, { nss: true, java: true }, host({}));
    expect(system.skipped?.reason).toBe('needsRoot');
    expect(system.commands).toEqual([
      ['sudo', 'install', '-m', '0644', cert, '/usr/local/share/ca-certificates/wirelog.crt'],
      ['sudo', 'update-ca-certificates'],
    ]);
    expect(java.skipped?.reason).toBe('needsRoot');
    expect(java.commands[0].slice(0, 3)).toEqual(['sudo', 'keytool', '-importcert']);
  });

  it("macOS: the login keychain, the user's own, no sudo; uninstall removes the trust and the certificate", () => {
    const keychain = '/Users/u/Library/Keychains/login.keychain-db';
    expect(
      planTrust('install', cert, { nss: false, java: false }, host({ platform: 'darwin', home: '/Users/u' }))[0],
    ).toEqual({
      store: 'system',
      place: keychain,
      commands: [['security', 'add-trusted-cert', '-r', 'trustRoot', '-k', keychain, cert]],
    });
    const sha1 = new X509Certificate(fs.readFileSync(cert)).fingerprint.replace(/:/g, '');
    expect(
      planTrust('uninstall', cert, { nss: false, java: false }, host({ platform: 'darwin', home: '/Users/u' }))[0]
        .commands,
    ).toEqual([
      ['security', 'remove-trusted-cert', cert],
      ['security', 'delete-certificate', '-Z', sha1, keychain],
    ]);
  });

  it('Fedora uses its anchors folder; no certutil, no JDK, Windows: each said, nothing run', () => {
    const fedora = planTrust(
      'install',
      cert,
      { nss: true, java: true },
      host({ isRoot: true, which: (p) => (p === 'update-ca-trust' ? '/usr/bin/update-ca-trust' : null), env: {} }),
    );
    expect(fedora[0].commands).toEqual([
      ['install', '-m', '0644', cert, '/etc/pki/ca-trust/source/anchors/wirelog.pem'],
      ['update-ca-trust'],
    ]);
    expect(fedora[1].skipped).toMatchObject({ reason: 'noTool', params: { tool: 'certutil' } });
    expect(fedora[2].skipped?.reason).toBe('noJava');
    expect(
      planTrust('install', cert, { nss: true, java: false }, host({ platform: 'win32' })).map((p) => p.skipped?.reason),
    ).toEqual(['platform', 'noTool']);
  });
});
