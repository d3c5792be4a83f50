// The database as `wirelog mcp` reads it: opened read-only (the MCP server never writes, never
// migrates), as a WAL reader beside a running capture, with a busy timeout for the moments a
// writer holds it exclusively (a checkpoint, a backup tool). Every way it cannot be read is a
// ToolError with the cause and what to do, in the CLI's language: the agent's user reads it.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { ExchangeReader } from '../db/reader.ts';
import { SCHEMA_VERSION, databasePath, type Db } from '../db/schema.ts';
import { t } from '../cli/language.ts';
import { ToolError } from './tool-error.ts';

/** How long a read waits for a writer that holds the database exclusively. */
export const BUSY_TIMEOUT_MS = 5000;

/** SQLite's codes for a database another connection holds. */
const BUSY_CODES = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_BUSY_RECOVERY', 'SQLITE_LOCKED']);

export class CaptureDatabase {
  private db: Db | null = null;
  private reader: ExchangeReader | null = null;

  constructor(readonly dataDir: string) {}

  get file(): string {
    return databasePath(this.dataDir);
  }

  /**
   * The reader, the database opened on first use (captures may start after the MCP server) and
   * its schema checked at every use (a wirelog started meanwhile may have upgraded it).
   */
  open(): { db: Db; reader: ExchangeReader } {
    if (!this.db) {
      if (!fs.existsSync(this.file)) throw new ToolError(t('mcp.errors.noDatabase', { dataDir: this.dataDir }));
      try {
        this.db = new Database(this.file, { readonly: true, fileMustExist: true });
        this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      } catch (err) {
        this.db = null;
        throw this.readError(err);
      }
      this.reader = new ExchangeReader(this.db);
    }
    const version = this.read(() => this.db!.pragma('user_version', { simple: true }) as number);
    if (version !== SCHEMA_VERSION) {
      const key = version < SCHEMA_VERSION ? 'mcp.errors.schemaOld' : 'mcp.errors.schemaNew';
      this.close();
      throw new ToolError(t(key, { file: this.file, version, expected: SCHEMA_VERSION }));
    }
    return { db: this.db!, reader: this.reader! };
  }

  /** Runs a read, a lock held past the busy timeout or an unreadable file said as a ToolError. */
  read<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw this.readError(err);
    }
  }

  /** What SQLite said, as the user's next step: wait for a lock, or fix access to the file. */
  readError(err: unknown): Error {
    if (err instanceof ToolError) return err;
    const code = (err as { code?: string }).code ?? '';
    const error = (err as Error).message;
    if (BUSY_CODES.has(code))
      return new ToolError(t('mcp.errors.locked', { file: this.file, seconds: BUSY_TIMEOUT_MS / 1000, error }));
    if (code.startsWith('SQLITE_')) return new ToolError(t('mcp.errors.cannotOpen', { file: this.file, error }));
    return err as Error;
  }

  close(): void {
    this.db?.close();
    this.db = null;
    this.reader = null;
  }
}
