// `wirelog ca --install [--nss] [--java]` and `--uninstall`: puts the wirelog CA into (or takes it
// out of) the trust stores of this machine that the current user can change, with the very
// commands the user would type, each printed before it runs. A store it cannot change (root
// needed, its tool missing) is said in one line with the commands to run by hand; nothing is
// skipped silently. The plan is data (planTrust), decided from a Host description, so every
// platform's commands can be checked without running them; runTrust runs what can be run.
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type TrustStore = 'system' | 'nss' | 'java';
export type TrustAction = 'install' | 'uninstall';

/** The name wirelog's CA has in the NSS databases, the Java store and the system store's folder. */
export const TRUST_NAME = 'wirelog';
// The JDK's cacerts password, the same on every JDK unless its owner changed it.
const JAVA_STORE_PASSWORD = 'changeit';

/** What a plan is decided from: the platform, who runs it, which tools and stores there are. */
export interface Host {
  platform: NodeJS.Platform;
  home: string;
  isRoot: boolean;
  /** The path of a program on PATH, or null. */
  which(program: string): string | null;
  exists(file: string): boolean;
  writable(file: string): boolean;
  /** Folders in `dir` (for Firefox profiles), or none. */
  folders(dir: string): string[];
  /** Whether a store already holds wirelog's CA: a read-only question to certutil or keytool. */
  holds(store: 'nss' | 'java', place: string): boolean;
  env: NodeJS.ProcessEnv;
}

/** One store's part of the plan: commands to run, or why they are not run (the commands then for the user). */
export interface StorePlan {
  store: TrustStore;
  /** The database, file or folder changed. */
  place: string;
  commands: string[][];
  /** Set when nothing is run: a catalogue key under trust.skip and its parameters. */
  skipped?: { reason: 'needsRoot' | 'noTool' | 'platform' | 'absent' | 'noJava'; params: Record<string, string> };
}

/** A POSIX shell word: bare when it holds only safe characters, else in single quotes ('\'' for a quote). */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(argv: string[]): string {
  return argv.map(shellWord).join(' ');
}

const sudo = (commands: string[][]) => commands.map((argv) => ['sudo', ...argv]);

/** The system store: the login keychain on macOS (the user's own), the distribution's CA folder on Linux (root). */
function systemPlan(action: TrustAction, certPath: string, host: Host): StorePlan {
  if (host.platform === 'darwin') {
    const keychain = path.join(host.home, 'Library', 'Keychains', 'login.keychain-db');
    const sha1 = new X509Certificate(fs.readFileSync(certPath)).fingerprint.replace(/:/g, '');
    const commands =
      action === 'install'
        ? [['security', 'add-trusted-cert', '-r', 'trustRoot', '-k', keychain, certPath]]
        : [
            ['security', 'remove-trusted-cert', certPath],
            ['security', 'delete-certificate', '-Z', sha1, keychain],
          ];
    return { store: 'system', place: keychain, commands };
  }
  if (host.platform === 'win32')
    return {
      store: 'system',
      place: 'Cert:\\CurrentUser\\Root',
      commands: [],
      skipped: { reason: 'platform', params: { platform: host.platform } },
    };
  // Debian and Ubuntu, then Fedora and RHEL: the CA file in the folder, then the tool that rebuilds the bundle.
  const debian = host.which('update-ca-certificates');
  const fedora = host.which('update-ca-trust');
  if (!debian && !fedora)
    return {
      store: 'system',
      place: '',
      commands: [],
      skipped: {
        reason: 'noTool',
        params: { tool: 'update-ca-certificates / update-ca-trust', fix: 'ca-certificates' },
      },
    };
  const file = debian
    ? `/usr/local/share/ca-certificates/${TRUST_NAME}.crt`
    : `/etc/pki/ca-trust/source/anchors/${TRUST_NAME}.pem`;
  const update = debian
    ? ['update-ca-certificates', ...(action === 'uninstall' ? ['--fresh'] : [])]
    : ['update-ca-trust'];
  const commands =
    action === 'install' ? [['install', '-m', '0644', certPath, file], update] : [['rm', '-f', file], update];
  if (!host.isRoot)
    return { store: 'system', place: file, commands: sudo(commands), skipped: { reason: 'needsRoot', params: {} } };
  return { store: 'system', place: file, commands };
}

/** The NSS databases of this user: Chromium's (~/.pki/nssdb) and each Firefox profile's. */
export function nssDatabases(host: Host): string[] {
  const profiles = [
    path.join(host.home, '.mozilla', 'firefox'),
    path.join(host.home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
    path.join(host.home, 'Library', 'Application Support', 'Firefox', 'Profiles'),
  ].flatMap((dir) => host.folders(dir).filter((profile) => host.exists(path.join(profile, 'cert9.db'))));
  return [path.join(host.home, '.pki', 'nssdb'), ...profiles];
}

function nssPlans(action: TrustAction, certPath: string, host: Host): StorePlan[] {
  const databases = nssDatabases(host);
  // Windows' certutil is another program with the same name.
  if (host.platform === 'win32' || !host.which('certutil')) {
    const fix =
      host.platform === 'darwin' ? 'brew install nss' : 'apt-get install libnss3-tools (Fedora: dnf install nss-tools)';
    return [
      {
        store: 'nss',
        place: databases[0],
        commands: [],
        skipped: { reason: 'noTool', params: { tool: 'certutil', fix } },
      },
    ];
  }
  return databases.map((dir) => {
    const db = `sql:${dir}`;
    const held = host.exists(path.join(dir, 'cert9.db')) && host.holds('nss', db);
    const remove = ['certutil', '-d', db, '-D', '-n', TRUST_NAME];
    if (action === 'uninstall')
      return held
        ? { store: 'nss', place: dir, commands: [remove] }
        : { store: 'nss', place: dir, commands: [], skipped: { reason: 'absent', params: {} } };
    // Chromium makes ~/.pki/nssdb only once it needs it: made the way it makes it (no password).
    const create = host.exists(path.join(dir, 'cert9.db'))
      ? []
      : [
          ['mkdir', '-p', '-m', '0700', dir],
          ['certutil', '-d', db, '-N', '--empty-password'],
        ];
    // A CA of an earlier install (before `wirelog ca --regenerate`) is replaced, not kept beside.
    return {
      store: 'nss',
      place: dir,
      commands: [
        ...create,
        ...(held ? [remove] : []),
        ['certutil', '-d', db, '-A', '-t', 'C,,', '-n', TRUST_NAME, '-i', certPath],
      ],
    };
  });
}

/** The JDK's own cacerts: $JAVA_HOME's, else the one of the `java` on PATH. */
export function javaCacerts(host: Host, realpath: (file: string) => string = fs.realpathSync): string | null {
  const homes: string[] = [];
  if (host.env.JAVA_HOME) homes.push(host.env.JAVA_HOME);
  const java = host.which('java');
  if (java) {
    try {
      homes.push(path.dirname(path.dirname(realpath(java))));
    } catch {
      // a dangling link: no JDK there
    }
  }
  for (const home of homes) {
    for (const file of [
      path.join(home, 'lib', 'security', 'cacerts'),
      path.join(home, 'jre', 'lib', 'security', 'cacerts'),
    ]) {
      if (host.exists(file)) return file;
    }
  }
  return null;
}

function javaPlan(action: TrustAction, certPath: string, host: Host): StorePlan {
  const keytool = host.which('keytool');
  const cacerts = javaCacerts(host);
  if (!keytool || !cacerts)
    return { store: 'java', place: cacerts ?? '', commands: [], skipped: { reason: 'noJava', params: {} } };
  const store = ['-keystore', cacerts, '-storepass', JAVA_STORE_PASSWORD];
  const held = host.holds('java', cacerts);
  const remove = ['keytool', '-delete', '-noprompt', '-alias', TRUST_NAME, ...store];
  const commands =
    action === 'uninstall'
      ? held
        ? [remove]
        : []
      : [
          ...(held ? [remove] : []),
          ['keytool', '-importcert', '-noprompt', '-trustcacerts', '-alias', TRUST_NAME, '-file', certPath, ...store],
        ];
  if (action === 'uninstall' && !held)
    return { store: 'java', place: cacerts, commands, skipped: { reason: 'absent', params: {} } };
  if (!host.writable(cacerts))
    return { store: 'java', place: cacerts, commands: sudo(commands), skipped: { reason: 'needsRoot', params: {} } };
  return { store: 'java', place: cacerts, commands };
}

/** What `wirelog ca --install/--uninstall` does for each store asked for: the system store always, NSS and Java when asked. */
export function planTrust(
  action: TrustAction,
  certPath: string,
  stores: { nss: boolean; java: boolean },
  host: Host,
): StorePlan[] {
  return [
    systemPlan(action, certPath, host),
    ...(stores.nss ? nssPlans(action, certPath, host) : []),
    ...(stores.java ? [javaPlan(action, certPath, host)] : []),
  ];
}

/** The machine this runs on, as a Host. */
export function thisHost(env: NodeJS.ProcessEnv = process.env): Host {
  const which = (program: string) => {
    for (const dir of (env.PATH ?? '').split(path.delimiter)) {
      if (!dir) continue;
      const file = path.join(dir, program);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return file;
      } catch {
        // not in this folder
      }
    }
    return null;
  };
  const quiet = (argv: string[]) =>
    spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', env, timeout: 30_000 }).status === 0;
  return {
    platform: process.platform,
    home: env.HOME ?? env.USERPROFILE ?? '',
    isRoot: process.getuid?.() === 0,
    which,
    exists: (file) => fs.existsSync(file),
    writable: (file) => {
      try {
        fs.accessSync(fs.realpathSync(file), fs.constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    folders: (dir) => {
      try {
        return fs
          .readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => path.join(dir, e.name));
      } catch {
        return [];
      }
    },
    holds: (store, place) =>
      store === 'nss'
        ? quiet(['certutil', '-L', '-d', place, '-n', TRUST_NAME])
        : quiet(['keytool', '-list', '-alias', TRUST_NAME, '-keystore', place, '-storepass', JAVA_STORE_PASSWORD]),
    env,
  };
}

/** What happened to one store: done, skipped (with why), or a command that failed (the ones after it not run). */
export type StoreOutcome =
  | { plan: StorePlan; done: true }
  | { plan: StorePlan; done: false; failed?: { command: string[]; status: number | null; error?: string } };

/**
 * Runs each plan's commands in order, each printed first (`$ command`, quoted for the shell);
 * a store's remaining commands stop at its first failure. Programs get the terminal (sudo,
 * macOS's keychain prompt).
 */
export function runTrust(
  plans: StorePlan[],
  print: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): StoreOutcome[] {
  return plans.map((plan) => {
    if (plan.skipped) return { plan, done: false };
    for (const command of plan.commands) {
      print(`$ ${commandLine(command)}`);
      const result = spawnSync(command[0], command.slice(1), { stdio: ['inherit', 'inherit', 'inherit'], env });
      if (result.status !== 0)
        return { plan, done: false, failed: { command, status: result.status, error: result.error?.message } };
    }
    return { plan, done: true };
  });
}
