// What wirelog stored, read from its SQLite database read-only (the counts it keeps of itself,
// event_count and the *_stored columns, are read beside the rows actually there, never instead).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { BodySide } from '../../model/exchange.ts';
import { ExchangeReader } from '../../db/reader.ts';

export interface StoredRow {
  id: string;
  state: string;
  status: number | null;
  error: string | null;
  diagnosis: string | null;
  notes: string | null;
  /** Rows present in sse_events, ws_messages (by direction); bodies' bytes by side as read back (unpacked: rows are compressed and split once packed). */
  sse: number;
  wsReceive: number;
  wsSend: number;
  responseBytes: number;
  requestBytes: number;
  /** What wirelog says of itself: bytes seen, truncated flags, its event count. */
  responseSize: number;
  responseTruncated: number;
  requestSize: number;
  requestTruncated: number;
  eventCount: number;
}

function open(dataDir: string): Database.Database | null {
  const file = path.join(dataDir, 'wirelog.sqlite');
  if (!fs.existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

/** Every exchange of the soak (its URL carries soak=ID), by that id. */
export function readStored(dataDir: string): Map<string, StoredRow> {
  const db = open(dataDir);
  const out = new Map<string, StoredRow>();
  if (!db) return out;
  try {
    const rows = db
      .prepare(
        `SELECT e.id, e.path, e.state, e.status, e.error, e.diagnosis, e.notes, e.event_count AS eventCount,
           e.response_size AS responseSize, e.response_truncated AS responseTruncated, e.request_size AS requestSize, e.request_truncated AS requestTruncated,
           coalesce(s.n, 0) AS sse, coalesce(w.receive, 0) AS wsReceive, coalesce(w.send, 0) AS wsSend
         FROM exchanges e
         LEFT JOIN (SELECT exchange_id, count(*) AS n FROM sse_events GROUP BY exchange_id) s ON s.exchange_id = e.id
         LEFT JOIN (SELECT exchange_id, sum(direction = 'receive') AS receive, sum(direction = 'send') AS send FROM ws_messages GROUP BY exchange_id) w ON w.exchange_id = e.id
         WHERE e.path LIKE '%soak=%'`,
      )
      .all() as (Omit<StoredRow, 'id' | 'requestBytes' | 'responseBytes'> & { id: number; path: string })[];
    // Through the reader, as the viewer reads them: length(data) of packed rows is their compressed size.
    const reader = new ExchangeReader(db);
    for (const { id: rowId, path: p, ...row } of rows) {
      const id = /[?&]soak=([^&]+)/.exec(p)?.[1];
      if (id)
        out.set(id, {
          id,
          ...row,
          requestBytes: bodyBytes(reader, rowId, 'request'),
          responseBytes: bodyBytes(reader, rowId, 'response'),
        });
    }
  } finally {
    db.close();
  }
  return out;
}

/** A stored body's length as read back (0 when it cannot be read: the report then counts its bytes lost). */
function bodyBytes(reader: ExchangeReader, id: number, side: BodySide): number {
  let n = 0;
  try {
    for (const chunk of reader.bodyChunks(id, side)) n += chunk.length;
  } catch {
    return 0;
  }
  return n;
}

/** Soak exchanges stored so far, and how many of them are still open (pending or streaming). */
export function storedCounts(dataDir: string): { total: number; open: number } {
  const db = open(dataDir);
  if (!db) return { total: 0, open: 0 };
  try {
    return db
      .prepare(
        "SELECT count(*) AS total, coalesce(sum(state IN ('pending', 'streaming')), 0) AS open FROM exchanges WHERE path LIKE '%soak=%'",
      )
      .get() as { total: number; open: number };
  } finally {
    db.close();
  }
}
