import type { Db } from './schema.ts';

export interface RetentionLimits {
  /** Pages in use (not the file size: freed pages are reused, the file does not shrink). */
  maxDbBytes: number;
  /** Exchanges older than this are deleted; none when absent. */
  maxAgeMs?: number;
}

const BATCH = 500;

export function usedBytes(db: Db): number {
  const pages = (db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number);
  return pages * (db.pragma('page_size', { simple: true }) as number);
}

function deleteOldest(db: Db, where: string, params: unknown[], limit = BATCH): number {
  const ids = (db.prepare(`SELECT id FROM exchanges WHERE ${where} ORDER BY id LIMIT ${limit}`).all(...params) as { id: number }[]).map((r) => r.id);
  if (ids.length === 0) return 0;
  const list = ids.join(',');
  db.transaction(() => {
    for (const table of ['bodies', 'sse_events', 'ws_messages']) db.prepare(`DELETE FROM ${table} WHERE exchange_id IN (${list})`).run();
    db.prepare(`DELETE FROM exchanges_fts WHERE rowid IN (${list})`).run();
    db.prepare(`DELETE FROM exchanges WHERE id IN (${list})`).run();
  })();
  return ids.length;
}

/**
 * Deletes the oldest exchanges past the age limit, then the oldest until the database uses
 * under 90% of its size limit. Returns how many were deleted. Open exchanges are never deleted.
 */
export function prune(db: Db, limits: RetentionLimits, now = Date.now()): number {
  let deleted = 0;
  const closed = "state NOT IN ('pending', 'streaming')";
  if (limits.maxAgeMs !== undefined) {
    for (let n; (n = deleteOldest(db, `${closed} AND started_at < ?`, [now - limits.maxAgeMs])) > 0; ) deleted += n;
  }
  for (let used = usedBytes(db); used > limits.maxDbBytes * 0.9; used = usedBytes(db)) {
    // About as many of the oldest as the excess holds, at the average size of an exchange.
    const rows = (db.prepare('SELECT count(*) AS n FROM exchanges').get() as { n: number }).n;
    const excess = used - limits.maxDbBytes * 0.9;
    const n = deleteOldest(db, closed, [], Math.min(BATCH, Math.max(1, Math.ceil((excess / used) * rows))));
    if (n === 0) break;
    deleted += n;
  }
  return deleted;
}
