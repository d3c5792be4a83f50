// Files in wirelog's data dir (captures, the CA key, the fingerprint key, instance.json), opened
// so that nothing planted there can turn wirelog against its user: no link inside is followed
// (wirelog would write or read through it, outside the dir), nothing but a regular file is read
// (a FIFO would hang it), and only the user's own files are trusted (a CA key another user can
// write lets that user intercept every client that trusts the CA). Each refusal is one line
// naming the file, what is wrong with it and the fix.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PhraseError, type Phrase } from '../i18n/stored-text.ts';

export class DataDirError extends PhraseError {}

/** A file's part in the data dir, for the messages: what it is, and what the user does when it is not right. */
export interface FileRole {
  /** "the CA key", "the fingerprint key" (dataFiles.role.*). */
  what: Phrase | string;
  /** "run `wirelog ca --regenerate` and trust the new CA", or made from the file's path ("rm FILE") (dataFiles.fix.*). A plain string is said as it is, in every language. */
  fix: Phrase | string | ((file: string) => Phrase | string);
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
export function describeOwner(uid: number): Phrase {
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
  return name
    ? { key: 'dataFiles.owner.named', params: { name, uid } }
    : { key: 'dataFiles.owner.uid', params: { uid } };
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8);
}

function kindOf(stat: fs.Stats, file: string): Phrase {
  if (stat.isSymbolicLink()) {
    let target = '?';
    try {
      target = fs.readlinkSync(file);
    } catch {
      // gone meanwhile: the kind is enough
    }
    return { key: 'dataFiles.kind.link', params: { target } };
  }
  if (stat.isDirectory()) return { key: 'dataFiles.kind.directory' };
  if (stat.isFIFO()) return { key: 'dataFiles.kind.fifo' };
  if (stat.isSocket()) return { key: 'dataFiles.kind.socket' };
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return { key: 'dataFiles.kind.device' };
  return { key: 'dataFiles.kind.notRegular' };
}

function lstatOrNull(file: string, role: FileRole): fs.Stats | null {
  try {
    return fs.lstatSync(file);
  } catch (err) {
    if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw failed(file, role, 'lookedAt', err);
  }
}

function fixFor(file: string, role: FileRole): Phrase | string {
  return typeof role.fix === 'function' ? role.fix(file) : role.fix;
}

/** `problem`: a dataFiles.file.* key and its parameters. */
function refuse(file: string, role: FileRole, problem: string, params: Phrase['params'] = {}): DataDirError {
  return new DataDirError({
    key: 'dataFiles.file.refused',
    params: { what: role.what, file, problem: { key: `dataFiles.file.${problem}`, params }, fix: fixFor(file, role) },
  });
}

function notAFile(stat: fs.Stats, file: string): [string, Phrase['params']] {
  return [stat.isSymbolicLink() ? 'isLink' : 'notAFile', { kind: kindOf(stat, file) }];
}

/** A regular file of the user's, and for a secret one that nobody else may read. */
function checkFile(file: string, stat: fs.Stats, role: FileRole): void {
  if (!stat.isFile()) throw refuse(file, role, ...notAFile(stat, file));
  const uid = ownUid();
  if (uid === null) return;
  if (stat.uid !== uid)
    throw refuse(file, role, 'othersFile', { owner: describeOwner(stat.uid), mode: octal(stat.mode), uid });
  if (role.secret && (stat.mode & 0o077) !== 0) {
    throw new DataDirError({
      key: 'dataFiles.file.readableByOthers',
      params: { what: role.what, file, mode: octal(stat.mode), fix: fixFor(file, role) },
    });
  }
}

/** `doing`: a dataFiles.doing.* key. */
function failed(file: string, role: FileRole, doing: string, err: unknown): DataDirError {
  if (err instanceof DataDirError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return refuse(file, role, 'cannotBe', { doing: { key: `dataFiles.doing.${doing}` }, code });
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
    throw now && !now.isFile() ? refuse(file, role, ...notAFile(now, file)) : failed(file, role, 'read', err);
  }
  try {
    const opened = fs.fstatSync(fd);
    if (opened.ino !== before.ino || opened.dev !== before.dev) throw refuse(file, role, 'replaced');
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
  if (!theirs) throw refuse(file, role, 'vanished');
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
  if (stat.isDirectory()) throw refuse(file, role, 'isDirectory');
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

/** `problem`: a dataFiles.dir.* key and its parameters. */
function refuseDir(dir: string, role: FileRole, problem: string, params: Phrase['params'] = {}): DataDirError {
  return new DataDirError({
    key: 'dataFiles.dir.refused',
    params: { what: role.what, dir, problem: { key: `dataFiles.dir.${problem}`, params }, fix: fixFor(dir, role) },
  });
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
    if (!lstatOrNull(dir, role))
      throw refuseDir(dir, role, 'cannotCreate', { code: String((err as NodeJS.ErrnoException).code) });
  }
  const uid = ownUid();
  let stat = lstatOrNull(dir, role);
  if (!stat) throw refuseDir(dir, role, 'vanished');
  if (stat.isSymbolicLink()) {
    if (!options.configured) throw refuseDir(dir, role, 'linkInside', { kind: kindOf(stat, dir) });
    if (uid !== null && stat.uid !== uid && stat.uid !== 0)
      throw refuseDir(dir, role, 'othersLink', { kind: kindOf(stat, dir), owner: describeOwner(stat.uid) });
    try {
      stat = fs.statSync(dir);
    } catch (err) {
      throw refuseDir(dir, role, 'leadsNowhere', {
        kind: kindOf(stat, dir),
        code: String((err as NodeJS.ErrnoException).code),
      });
    }
  }
  if (!stat.isDirectory())
    throw refuseDir(dir, role, 'notADirectory', {
      kind: stat.isFile() ? { key: 'dataFiles.kind.file' } : kindOf(stat, dir),
    });
  if (uid !== null && stat.uid !== uid) {
    throw refuseDir(dir, role, 'othersDir', { owner: describeOwner(stat.uid), mode: octal(stat.mode), uid });
  }
  if (uid !== null && (stat.mode & 0o077) !== 0) {
    try {
      fs.chmodSync(dir, 0o700);
    } catch (err) {
      throw refuseDir(dir, role, 'othersEnter', {
        mode: octal(stat.mode),
        code: String((err as NodeJS.ErrnoException).code),
        dir,
      });
    }
    options.onTightened?.(stat.mode & 0o777);
  }
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (err) {
    throw refuseDir(dir, role, 'notUsable', { code: String((err as NodeJS.ErrnoException).code), dir });
  }
}

export const DATA_DIR: FileRole = {
  what: { key: 'dataFiles.role.dataDir' },
  fix: { key: 'dataFiles.fix.otherDataDir' },
};

/** The data dir itself: see ensurePrivateDir; the user's configured path may be their own link. */
export function ensureDataDir(dataDir: string, onTightened?: (mode: number) => void): void {
  ensurePrivateDir(dataDir, DATA_DIR, { configured: true, onTightened });
}
