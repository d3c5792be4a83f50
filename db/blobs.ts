// The parts of split request bodies (db/body-parts.ts), each stored once in `blobs` (schema 14)
// by the SHA-256 of its bytes, compressed (db/compression.ts), with the count of stored bodies
// that refer to it. A split body's row in `bodies` holds a record instead of bytes: the blob ids
// of its parts in order and its skeleton (codec + SPLIT says so). Deleting an exchange releases
// its references; a part no body refers to any more is deleted with it (db/retention.ts), its
// pages zeroed as every deleted row's are (PRAGMA secure_delete).
import { joinBody, manifestBytes, readManifest, type SplitBody } from './body-parts.ts';
import { packed, unpacked } from './compression.ts';
import type { Db } from './schema.ts';

/** Added to a `bodies` row's codec when the row is a split body's record, not the body's bytes. */
export const SPLIT = 16;

/** A `bodies` row's bytes as stored: a chunk of the body, or (codec + SPLIT) a split body's record. */
export interface StoredRow {
  codec: number;
  data: Buffer;
}

/** Reads a blob's bytes by id (the reader's statement, or the writer's inside its transaction). */
export type BlobSource = (id: number) => Buffer;

/** The bytes a `bodies` row stands for: its chunk unpacked, or the split body joined from its parts. */
export function rowBytes(row: StoredRow, blob: BlobSource): Buffer {
  if (row.codec < SPLIT) return unpacked(row.codec, row.data);
  const { skeleton, refs } = readManifest(unpacked(row.codec - SPLIT, row.data));
  return joinBody(
    skeleton,
    refs.map((ref) => ({ at: ref.at, bytes: blob(ref.id) })),
  );
}

/** Ids referred to by a split body's record (one per reference: a part twice in a body counts twice). */
export function referencedIds(row: StoredRow): number[] {
  if (row.codec < SPLIT) return [];
  return readManifest(unpacked(row.codec - SPLIT, row.data)).refs.map((ref) => ref.id);
}

export class Blobs {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      find: db.prepare('SELECT id FROM blobs WHERE hash = ?').pluck(),
      insert: db.prepare('INSERT INTO blobs (hash, size, codec, data, refs) VALUES (?, ?, ?, ?, 1)'),
      ref: db.prepare('UPDATE blobs SET refs = refs + ? WHERE id = ?'),
      unref: db.prepare('UPDATE blobs SET refs = refs - ? WHERE id = ?'),
      dropUnreferenced: db.prepare('DELETE FROM blobs WHERE id = ? AND refs <= 0'),
      get: db.prepare('SELECT codec, data FROM blobs WHERE id = ?'),
    };
  }

  /** Stores a split body's parts (each new one once, a known one referred to again); returns its row's codec and record. */
  store(split: SplitBody): StoredRow {
    const refs: { at: number; id: number }[] = [];
    for (const part of split.parts) {
      let id = this.stmts.find.get(part.hash) as number | undefined;
      if (id === undefined) {
        const stored = packed(part.bytes);
        id = Number(this.stmts.insert.run(part.hash, part.bytes.length, stored.codec, stored.data).lastInsertRowid);
      } else {
        this.stmts.ref.run(1, id);
      }
      refs.push({ at: part.at, id });
    }
    const record = packed(manifestBytes(split.skeleton, refs));
    return { codec: record.codec + SPLIT, data: record.data };
  }

  /** Releases what deleted rows referred to; deletes each part no row refers to any more. Returns how many were deleted. */
  release(rows: StoredRow[]): number {
    const counts = new Map<number, number>();
    for (const row of rows) for (const id of referencedIds(row)) counts.set(id, (counts.get(id) ?? 0) + 1);
    let deleted = 0;
    for (const [id, n] of counts) {
      this.stmts.unref.run(n, id);
      deleted += this.stmts.dropUnreferenced.run(id).changes;
    }
    return deleted;
  }

  /** A blob's bytes, unpacked. */
  read: BlobSource = (id) => readBlob(this.stmts.get, id);
}

/** A blob's bytes through a prepared `SELECT codec, data FROM blobs WHERE id = ?`; a missing part is an error naming it. */
export function readBlob(statement: { get(id: number): unknown }, id: number): Buffer {
  const row = statement.get(id) as { codec: number; data: Buffer } | undefined;
  if (!row || !Buffer.isBuffer(row.data)) throw new Error(`part ${id} of a stored body is missing from the database`);
  return unpacked(row.codec, row.data);
}
