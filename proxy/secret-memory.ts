// The real secrets of recent requests, kept in this process's memory only, so that a masked
// capture can be replayed: never written to the database, a log, a HAR or an API answer, and
// gone when wirelog stops. Bounded by count, age and bytes.
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Header } from '../model/exchange.ts';
import { DataDirError, readOrCreatePrivateFile, type FileRole } from '../certs/safe-files.ts';

/** What masking replaced in one request: the values as they were sent. */
export interface RememberedSecrets {
  /** Every header whose value was masked, with its real value. */
  headers: Header[];
  /** The real path and query, when masking changed them (`?key=AIza…`). */
  path?: string;
  /** The real request body, when masking changed it (a JSON body with an api_key field). */
  body?: Buffer;
}

interface Entry extends RememberedSecrets {
  at: number;
  bytes: number;
}

export interface SecretMemoryLimits {
  maxEntries: number;
  maxAgeMs: number;
  maxBytes: number;
}

export const DEFAULT_SECRET_MEMORY: SecretMemoryLimits = {
  maxEntries: 1000,
  maxAgeMs: 60 * 60 * 1000,
  maxBytes: 32 * 1024 * 1024,
};

export class SecretMemory {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly limits: SecretMemoryLimits = DEFAULT_SECRET_MEMORY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Remembers (or adds to) what the exchange `uid` sent; a body larger than the byte bound is not kept. */
  remember(uid: string, secrets: RememberedSecrets): void {
    const before = this.entries.get(uid);
    const merged: RememberedSecrets = {
      headers: [...(before?.headers ?? []), ...secrets.headers],
      path: secrets.path ?? before?.path,
      body: secrets.body ?? before?.body,
    };
    if (merged.body && merged.body.length > this.limits.maxBytes / 4) delete merged.body;
    const bytes =
      (merged.body?.length ?? 0) +
      (merged.path?.length ?? 0) +
      merged.headers.reduce((n, [k, v]) => n + k.length + v.length, 0);
    this.forget(uid);
    this.entries.set(uid, { ...merged, at: this.now(), bytes });
    this.bytes += bytes;
    this.prune();
  }

  recall(uid: string): RememberedSecrets | null {
    this.prune();
    const entry = this.entries.get(uid);
    return entry ? { headers: entry.headers, path: entry.path, body: entry.body } : null;
  }

  /** The newest real value of a header sent to `host` by any remembered request (a working call's key). */
  newestHeader(uids: string[], name: string): string | null {
    for (const uid of uids) {
      const found = this.recall(uid)?.headers.find(([n]) => n.toLowerCase() === name.toLowerCase());
      if (found) return found[1];
    }
    return null;
  }

  get size(): number {
    return this.entries.size;
  }

  private forget(uid: string): void {
    const entry = this.entries.get(uid);
    if (!entry) return;
    this.bytes -= entry.bytes;
    this.entries.delete(uid);
  }

  private prune(): void {
    const oldest = this.now() - this.limits.maxAgeMs;
    // A Map iterates in insertion order, and remember() re-inserts: the first entry is the oldest.
    for (const [uid, entry] of this.entries) {
      if (entry.at >= oldest && this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes)
        break;
      this.forget(uid);
    }
  }
}

/**
 * A keyed fingerprint of a secret (HMAC-SHA256 with a random key kept in the data dir, 0600):
 * two requests that sent the same key show the same fingerprint; the key cannot be recovered
 * from it, nor checked against a guess without the data dir.
 */
export type Fingerprint = (secret: string) => string;

const FINGERPRINT_KEY: FileRole = {
  what: { key: 'dataFiles.role.fingerprintKey' },
  fix: (file) => ({ key: 'dataFiles.fix.removeFingerprintKey', params: { file } }),
  secret: true,
};

export function fingerprinter(dataDir: string): Fingerprint {
  const file = path.join(dataDir, 'fingerprint.key');
  // Made when missing; a link, a FIFO or another user's file in its place is refused in one line.
  const key = readOrCreatePrivateFile(file, () => randomBytes(32), FINGERPRINT_KEY);
  if (key.length < 16) throw new DataDirError({ key: 'dataFiles.fingerprintTooShort', params: { file } });
  return (secret) => createHmac('sha256', key).update(secret).digest('hex').slice(0, 16);
}
