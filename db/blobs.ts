// The parts of split request bodies (db/body-parts.ts), each stored once in `blobs` (schema 14)
// by the SHA-256 of its bytes, compressed (db/compression.ts), with the count of stored bodies
// that refer to it. A split body's row in `bodies` holds a record instead of bytes: the blob ids
// of its parts in order and its skeleton (codec + SPLIT says so). Deleting an exchange releases
// its references; a part no body refers to any more is deleted with it (db/retention.ts), its
// pages zeroed as every deleted row's are (PRAGMA secure_delete).
import { joinBody, manifestBytes, readManifest } from './body-parts.ts';
import { packed, unpacked } from './compression.ts';
import { ReadGarbage } from './read-garbage.ts';
import {
  type Reencoding,
  type RequestSplit,
  readReencoding,
  reencode,
  reencodingBytes,
  splitRequest,
} from './request-reencode.ts';
import type { Db } from './schema.ts';

// A request body is split into its parts when at most this large: splitting holds it whole, and
// parses it. A larger one is packed row by row, as other bodies are.
export const SPLIT_MAX_BYTES = 32 * 1024 * 1024;

/** Added to a `bodies` row's codec when the row is a split body's record, not the body's bytes. */
export const SPLIT = 16;
/**
 * Added to a `bodies` row's codec (instead of SPLIT) when the record is of a content-encoded
 * body's decoded bytes: it starts with how to encode them again (db/request-reencode.ts). A
 * wirelog from before reads its codec as unknown and says to upgrade.
 */
export const ENCODED_SPLIT = 32;

/** A split body's record read from its row: skeleton, parts, and how to encode the joined bytes again (null: sent as they are). */
export function storedManifest(
  codec: number,
  data: Buffer,
): ReturnType<typeof readManifest> & { reencoding: Reencoding | null } {
  if (codec < ENCODED_SPLIT) return { ...readManifest(unpacked(codec - SPLIT, data)), reencoding: null };
  const record = unpacked(codec - ENCODED_SPLIT, data);
  const { how, end } = readReencoding(record);
  return { ...readManifest(record.subarray(end)), reencoding: how };
}

/** A split body's bytes as they were on the wire: its parts put back, then encoded again if it came encoded. */
export function joinedBody(
  manifest: { skeleton: Buffer; reencoding: Reencoding | null },
  parts: { at: number; bytes: Buffer }[],
): Buffer {
  const body = joinBody(manifest.skeleton, parts);
  return manifest.reencoding ? reencode(body, manifest.reencoding) : body;
}

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
  const manifest = storedManifest(row.codec, row.data);
  return joinedBody(
    manifest,
    manifest.refs.map((ref) => ({ at: ref.at, bytes: blob(ref.id) })),
  );
}

/** Ids referred to by a split body's record (one per reference: a part twice in a body counts twice). */
export function referencedIds(row: StoredRow): number[] {
  if (row.codec < SPLIT) return [];
  return storedManifest(row.codec, row.data).refs.map((ref) => ref.id);
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

  /** Stores a split body's parts (each new one once, a known one referred to again); returns its row's codec and record, and each part's blob id (in the split's order). */
  store(split: RequestSplit): StoredRow & { ids: number[] } {
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
    const manifest = manifestBytes(split.skeleton, refs);
    if (!split.reencoding) {
      const record = packed(manifest);
      return { codec: record.codec + SPLIT, data: record.data, ids: refs.map((ref) => ref.id) };
    }
    const record = packed(Buffer.concat([reencodingBytes(split.reencoding), manifest]));
    return { codec: record.codec + ENCODED_SPLIT, data: record.data, ids: refs.map((ref) => ref.id) };
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

// Rows stored before schema 14 are packed after start (upkeep.compact_below), newest first, a
// slice per step: one short transaction each, capture's batches in between (db/retention.ts).
const COMPACT_EXCHANGES = 20;
const COMPACT_BYTES = 8 * 1024 * 1024;

/** How many exchanges stored before schema 14 are still to pack (0: none), found by their ids: no pass over rows. */
export function compactionLeft(db: Db): number {
  const below = (db.prepare('SELECT compact_below FROM upkeep').pluck().get() as number | undefined) ?? 0;
  if (below <= 0) return 0;
  return db.prepare('SELECT count(*) FROM exchanges WHERE id < ?').pluck().get(below) as number;
}

/**
 * Packs one ended exchange's rows in place, inside the caller's transaction: its request body,
 * when identity-encoded and a model call's JSON, split into its parts (each stored once), every
 * other body row, SSE event's data and WebSocket payload compressed. Rows packed already are left
 * as they are, so packing twice is harmless. Each row reads back as the same bytes. Capture
 * stores rows as they come (codec 0); the storage thread packs them after the commit, a slice at
 * a time (db/indexer.ts), and compactSlice those an earlier wirelog stored.
 */
export class Packer {
  private readonly blobs: Blobs;
  private readonly stmts;

  constructor(db: Db) {
    this.blobs = new Blobs(db);
    this.stmts = {
      body: db.prepare(
        "SELECT rowid, side, length(data) AS size, typeof(data) = 'blob' AS blob FROM bodies WHERE exchange_id = ? AND codec = 0 ORDER BY side, seq",
      ),
      rowData: db.prepare('SELECT data FROM bodies WHERE rowid = ?').pluck(),
      requestRows: db.prepare("SELECT count(*) FROM bodies WHERE exchange_id = ? AND side = 'request'").pluck(),
      setBody: db.prepare('UPDATE bodies SET data = ?, codec = ? WHERE rowid = ?'),
      dropRequest: db.prepare("DELETE FROM bodies WHERE exchange_id = ? AND side = 'request'"),
      insertBody: db.prepare('INSERT INTO bodies (exchange_id, side, seq, data, codec) VALUES (?, ?, ?, ?, ?)'),
      sse: db.prepare(
        'SELECT rowid, seq, offset_ms, event, event_id, data FROM sse_events WHERE exchange_id = ? AND codec = 0 ORDER BY seq',
      ),
      dropSse: db.prepare('DELETE FROM sse_events WHERE rowid = ?'),
      insertSse: db.prepare(
        'INSERT INTO sse_events (exchange_id, seq, offset_ms, event, event_id, data, codec) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      ws: db.prepare(
        'SELECT rowid, seq, offset_ms, direction, opcode, payload FROM ws_messages WHERE exchange_id = ? AND codec = 0 ORDER BY seq',
      ),
      dropWs: db.prepare('DELETE FROM ws_messages WHERE rowid = ?'),
      insertWs: db.prepare(
        'INSERT INTO ws_messages (exchange_id, seq, offset_ms, direction, opcode, payload, codec) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
    };
  }

  /**
   * `requestEncoding`: the request's Content-Encoding (a zstd or gzip body is split decoded when
   * encoding it again gives its exact bytes: db/request-reencode.ts).
   * `request`: its whole body when the caller has it in memory (what was stored, byte for byte),
   * so that it is not read back to be split. `events`: its SSE events and WebSocket messages as
   * counted when it ended (exchanges.event_count); 0 skips looking for any (two statements
   * less for each plain exchange), absent looks.
   */
  pack(id: number, requestEncoding: string, request: Buffer | null = null, events?: number): void {
    // Rows by id and size, their bytes read one at a time: a stored body of hundreds of MB was
    // read whole into the storage thread's memory to be packed (bench/memory.ts: thread arenas
    // 73-134 MB, peak RSS 194-235 MB during the 300 MB and 1 GB bodies).
    const bodyRows = this.stmts.body.all(id) as { rowid: number; side: string; size: number; blob: number }[];
    const raw = bodyRows.filter((r) => r.side === 'request' && r.blob);
    let rawBytes = 0;
    for (const r of raw) rawBytes += r.size;
    // A request body all in raw rows (none packed yet), small enough to hold: split if it is a model call's JSON.
    const whole =
      raw.length > 0 && rawBytes <= SPLIT_MAX_BYTES && raw.length === this.stmts.requestRows.get(id)
        ? (request ?? Buffer.concat(raw.map((r) => this.stmts.rowData.get(r.rowid) as Buffer)))
        : null;
    const split = whole ? splitRequest(whole, requestEncoding, SPLIT_MAX_BYTES) : null;
    if (split) {
      const record = this.blobs.store(split);
      this.stmts.dropRequest.run(id);
      this.stmts.insertBody.run(id, 'request', 0, record.data, record.codec);
    }
    // A body row (16 KB and more, mostly in overflow pages, which an update frees) is updated in
    // place; an SSE event or WebSocket message is deleted and inserted again: such small rows share
    // pages, and updated in place to a third of their size they left their pages a third full, the
    // table as large as before (bench/storage-size.ts, 100 Codex turns: sse_events 3.9 MB updated,
    // 1.8 MB inserted again; bodies 0.4 MB updated, 0.7 MB inserted again).
    // Each row read and packed is a Buffer dropped at once: collected every MB of one body, not
    // after tens (db/read-garbage.ts); a body under 1 MB costs no collection.
    const garbage = new ReadGarbage();
    for (const r of bodyRows) {
      if (!r.blob || (split && r.side === 'request')) continue;
      const stored = packed(this.stmts.rowData.get(r.rowid) as Buffer);
      if (stored.codec !== 0) this.stmts.setBody.run(stored.data, stored.codec, r.rowid);
      garbage.add(r.size + (stored.codec !== 0 ? stored.data.length : 0));
    }
    if (events === 0) return;
    for (const e of this.stmts.sse.all(id) as {
      rowid: number;
      seq: number;
      offset_ms: number;
      event: string | null;
      event_id: string | null;
      data: unknown;
    }[]) {
      if (typeof e.data !== 'string') continue;
      const stored = packed(Buffer.from(e.data));
      if (stored.codec === 0) continue;
      this.stmts.dropSse.run(e.rowid);
      this.stmts.insertSse.run(id, e.seq, e.offset_ms, e.event, e.event_id, stored.data, stored.codec);
    }
    for (const m of this.stmts.ws.all(id) as {
      rowid: number;
      seq: number;
      offset_ms: number;
      direction: string;
      opcode: number;
      payload: unknown;
    }[]) {
      if (!Buffer.isBuffer(m.payload)) continue;
      const stored = packed(m.payload);
      if (stored.codec === 0) continue;
      this.stmts.dropWs.run(m.rowid);
      this.stmts.insertWs.run(id, m.seq, m.offset_ms, m.direction, m.opcode, stored.data, stored.codec);
    }
  }
}

/**
 * Packs the rows of the newest exchanges an earlier wirelog stored (ids below
 * upkeep.compact_below), in one transaction (Packer.pack each). Returns how many exchanges it
 * packed; 0 when none was left (the mark is then cleared, and the index merge and WAL checkpoint
 * that follow leave no old page's text behind).
 */
export function compactSlice(db: Db): number {
  const below = (db.prepare('SELECT compact_below FROM upkeep').pluck().get() as number | undefined) ?? 0;
  if (below <= 0) return 0;
  const packer = new Packer(db);
  const stmts = {
    rows: db.prepare(
      'SELECT id, request_encoding, request_stored + response_stored AS bytes FROM exchanges WHERE id < ? ORDER BY id DESC LIMIT ?',
    ),
    mark: db.prepare('UPDATE upkeep SET compact_below = ?'),
    purge: db.prepare('UPDATE upkeep SET purge = 1'),
  };
  let done = 0;
  db.transaction(() => {
    const rows = stmts.rows.all(below, COMPACT_EXCHANGES) as { id: number; request_encoding: string; bytes: number }[];
    if (rows.length === 0) {
      stmts.mark.run(0);
      // The old rows' pages are zeroed as they are freed (secure_delete); the WAL still holds them until checkpointed.
      stmts.purge.run();
      return;
    }
    let bytes = 0;
    let lowest = below;
    for (const row of rows) {
      if (done > 0 && bytes + row.bytes > COMPACT_BYTES) break;
      bytes += row.bytes;
      lowest = row.id;
      done++;
      packer.pack(row.id, row.request_encoding);
    }
    stmts.mark.run(lowest);
  })();
  return done;
}
