// Files in wirelog's data dir (captures, the CA key, the fingerprint key, instance.json), opened
// so that nothing planted there can turn wirelog against its user: no link inside is followed
// (wirelog would write or read through it, outside the dir), nothing but a regular file is read
// (a FIFO would hang it), and only the user's own files are trusted (a CA key another user can
// write lets that user intercept every client that trusts the CA). Each refusal is one line
// naming the file, what is wrong with it and the fix.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class DataDirError extends Error {}

/** A file's part in the data dir, for the messages: what it is, and what the user does when it is not right. */
export interface FileRole {
  /** "the CA key", "the fingerprint key". */
  what: string;
  /** "run `wirelog ca --regenerate` and trust the new CA", or made from the file's path ("rm FILE"). */
  fix: string | ((file: string) => string);
  /** A key: refused when other users may read it too. */
  secret?: boolean;
}

// 0 where the platform has no such flag (Windows): the checks on the opened file still hold.
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
const ABSENT = new Set(['ENOENT', 'ENOTDIR']);

/** The uid whose files wirelog trusts; null where files have no such owner (Windows). */
function ownUid(): number | null {
  return process.platform === 'win32' || typeof process.getuid !== 'function' ? null : process.getuid();
}

/** "user nobody (uid 65534)": the name from /etc/passwd when it has one. */
export function describeOwner(uid: number): string {
  let name: string | undefined;
  try {
    name = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[2] === String(uid))?.[0];
  } catch {
    // no passwd file: the number alone
  }
  return name ? `user ${name} (uid ${uid})` : `uid ${uid}`;
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8);
}

function kindOf(stat: fs.Stats, file: string): string {
  if (stat.isSymbolicLink()) {
    let target = '?';
    try {
      target = fs.readlinkSync(file);
    } catch {
      // gone meanwhile: the kind is enough
    }
    return `a symbolic link (to ${target})`;
  }
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function lstatOrNull(file: string, role: FileRole): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch (err) {
    if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw failed(file, role, 'looked at', err);
  }
}

function fixFor(file: string, role: FileRole): string {
  return typeof role.fix === 'function' ? role.fix(file) : role.fix;
}

function refuse(file: string, role: FileRole, problem: string): DataDirError {
  return new DataDirError(`${role.what} ${file} ${problem}: ${fixFor(file, role)}`);
}

function notAFile(stat: fs.Stats, file: string): string {
  return stat.isSymbolicLink() ? `is ${kindOf(stat, file)}, and wirelog follows no link in its data dir` : `is ${kindOf(stat, file)}, not a file wirelog wrote`;
}

/** A regular file of the user's, and for a secret one that nobody else may read. */
function checkFile(file: string, stat: fs.Stats, role: FileRole): void {
  if (!stat.isFile()) throw refuse(file, role, notAFile(stat, file));
  const uid = ownUid();
  if (uid === null) return;
  if (stat.uid !== uid) throw refuse(file, role, `belongs to ${describeOwner(stat.uid)}, mode ${octal(stat.mode)}, not to you (uid ${uid}): its owner could have written it`);
  if (role.secret && (stat.mode & 0o077) !== 0) {
    throw new DataDirError(`${role.what} ${file} can be read by other users (mode ${octal(stat.mode)}): run \`chmod 600 ${file}\` (or, if someone may have copied it: ${fixFor(file, role)})`);
  }
}

function failed(file: string, role: FileRole, doing: string, err: unknown): DataDirError {
  if (err instanceof DataDirError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return refuse(file, role, `cannot be ${doing} (${code})`);
}

/**
 * Reads a file of the data dir; null when there is none. Never follows a link, never opens
 * anything but a regular file (checked before and after opening, so a swap between the two is
 * seen), and refuses another user's file or a secret others can read.
 */
export function readPrivateFile(file: string, role: FileRole): Buffer | null {
  const before = lstatOrNull(file, role);
  if (!before) return null;
  checkFile(file, before, role);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (err) {
    if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    const now = lstatOrNull(file, role);
    throw now && !now.isFile() ? refuse(file, role, notAFile(now, file)) : failed(file, role, 'read', err);
  }
  try {
    const opened = fs.fstatSync(fd);
    if (opened.ino !== before.ino || opened.dev !== before.dev) throw refuse(file, role, 'was replaced while wirelog opened it');
    checkFile(file, opened, role);
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeNew(file: string, contents: string | Buffer, mode: number): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW, mode);
  try {
    fs.writeFileSync(fd, contents);
    // The umask may have taken bits away, never added: a public file still ends up 0644.
    if (ownUid() !== null) fs.fchmodSync(fd, mode);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw err;
  }
  fs.closeSync(fd);
}

/**
 * Creates a file that must not exist yet (O_CREAT|O_EXCL, no link followed, mode 0600 unless
 * said): false when something is already there, which the caller then reads and checks.
 */
export function createPrivateFile(file: string, contents: string | Buffer, role: FileRole, mode = 0o600): boolean {
  try {
    writeNew(file, contents, mode);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw failed(file, role, 'created', err);
  }
}

/**
 * Replaces a file whole: written under a new name beside it, then renamed over it, so a reader
 * never sees half of it and a link in its place is never written through. What is in its place
 * must be a regular file of the user's (a link there is refused, not silently replaced: it was
 * planted, and the user is told).
 */
export function replacePrivateFile(file: string, contents: string | Buffer, role: FileRole, mode = 0o600): void {
  const existing = lstatOrNull(file, role);
  if (existing) checkFile(file, existing, { ...role, secret: false });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeNew(temporary, contents, mode);
    fs.renameSync(temporary, file);
  } catch (err) {
    fs.rmSync(temporary, { force: true });
    throw failed(file, role, 'written', err);
  }
}

/** Reads a secret the data dir keeps, making it with `make` the first time (or after it was removed). */
export function readOrCreatePrivateFile(file: string, make: () => Buffer | string, role: FileRole): Buffer {
  const existing = readPrivateFile(file, role);
  if (existing) return existing;
  const made = make();
  if (createPrivateFile(file, made, role)) return Buffer.from(made);
  // Another wirelog made it first (or something appeared): read what is there, checked.
  const theirs = readPrivateFile(file, role);
  if (!theirs) throw refuse(file, role, 'vanished while wirelog created it');
  return theirs;
}

/**
 * For files another library opens itself (SQLite's -wal and -shm): if present, it must be a
 * regular file of the user's, not a link. True when present.
 */
export function checkPrivateEntry(file: string, role: FileRole): boolean {
  const stat = lstatOrNull(file, role);
  if (stat) checkFile(file, stat, { ...role, secret: false });
  return stat !== null;
}

/** Removes a file (a link is removed, not what it points to); a directory in its place is refused. */
export function removePrivateFile(file: string, role: FileRole): void {
  const stat = lstatOrNull(file, role);
  if (!stat) return;
  if (stat.isDirectory()) throw refuse(file, role, 'is a directory, not a file wirelog wrote (remove it yourself: rm -r)');
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw failed(file, role, 'removed', err);
  }
}

export interface DirOptions {
  /**
   * The data dir as the user configured it: it may be a link they made (theirs or root's, to a
   * directory of theirs), followed once here. Nothing inside it is ever a link.
   */
  configured?: boolean;
  /** Told the former mode when a directory others could enter is made owner-only. */
  onTightened?: (mode: number) => void;
}

function refuseDir(dir: string, role: FileRole, problem: string): DataDirError {
  return new DataDirError(`${role.what} ${dir} cannot be used: ${problem}; ${fixFor(dir, role)}`);
}

/**
 * Makes a directory for private files (0700) when missing, and checks it: a real directory (not
 * a link, unless `configured`), the user's own, and owner-only (a looser one of theirs is made
 * so; another user's is refused, as its owner can read and plant anything in it).
 */
export function ensurePrivateDir(dir: string, role: FileRole, options: DirOptions = {}): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    // Something is in its place (a file, a dangling link): described below.
    if (!lstatOrNull(dir, role)) throw refuseDir(dir, role, `it cannot be created (${(err as NodeJS.ErrnoException).code})`);
  }
  const uid = ownUid();
  let stat = lstatOrNull(dir, role);
  if (!stat) throw refuseDir(dir, role, 'it vanished while wirelog made it');
  if (stat.isSymbolicLink()) {
    if (!options.configured) throw refuseDir(dir, role, `it is ${kindOf(stat, dir)}, and wirelog follows no link inside its data dir`);
    if (uid !== null && stat.uid !== uid && stat.uid !== 0) throw refuseDir(dir, role, `it is ${kindOf(stat, dir)} made by ${describeOwner(stat.uid)}, who can point it elsewhere at any time`);
    try {
      stat = fs.statSync(dir);
    } catch (err) {
      throw refuseDir(dir, role, `it is ${kindOf(stat, dir)} that leads nowhere (${(err as NodeJS.ErrnoException).code})`);
    }
  }
  if (!stat.isDirectory()) throw refuseDir(dir, role, `it is ${stat.isFile() ? 'a file' : kindOf(stat, dir)}, not a directory`);
  if (uid !== null && stat.uid !== uid) {
    throw refuseDir(dir, role, `it belongs to ${describeOwner(stat.uid)}, mode ${octal(stat.mode)}, not to you (uid ${uid}), and its owner can read and plant anything in it`);
  }
  if (uid !== null && (stat.mode & 0o077) !== 0) {
    try {
      fs.chmodSync(dir, 0o700);
    } catch (err) {
      throw refuseDir(dir, role, `others can enter it (mode ${octal(stat.mode)}) and it cannot be made owner-only (${(err as NodeJS.ErrnoException).code}): run \`chmod 700 ${dir}\``);
    }
    options.onTightened?.(stat.mode & 0o777);
  }
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw refuseDir(dir, role, `you cannot read and write it (${(err as NodeJS.ErrnoException).code}): run \`chmod 700 ${dir}\``);
  }
}

export const DATA_DIR: FileRole = { what: 'the data dir', fix: 'choose another with --data-dir or WIRELOG_HOME' };

/** The data dir itself: see ensurePrivateDir; the user's configured path may be their own link. */
export function ensureDataDir(dataDir: string, onTightened?: (mode: number) => void): void {
  ensurePrivateDir(dataDir, DATA_DIR, { configured: true, onTightened });
}
