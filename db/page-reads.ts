// A page of exchanges' bodies, SSE events and WebSocket messages read in one query each (with
// one more for the hashes of the parts their split bodies refer to), not one query per exchange,
// side and part: at a million exchanges `export --har` spent more time asking SQLite than
// writing. What each exchange gets is what ExchangeReader.body, sseEvents and wsMessages give it
// (test/page-reads.test.ts compares them byte for byte), damage noted the same way.
import type Database from 'better-sqlite3';
import type { BodySide, SseEvent, WsMessage } from '../model/exchange.ts';
import { ENCODED_SPLIT, joinedBody, SPLIT, storedManifest } from './blobs.ts';
import { CODEC, DICTIONARY_V1, unpacked } from './compression.ts';
import { inflateSmall, inflateSmallInto, inflateSmallText, SMALL_INFLATE_MAX_BYTES } from './small-inflate.ts';
import { RowReading, sseEventOf, storedBytes, type ColumnDamage } from './stored-values.ts';

/**
 * Parts of split bodies read already, by blob id, with their hash (a caller's, bounded as it
 * sees fit): a session's turns share most parts, each decompressed once (export/har.ts). Here,
 * below the reader, so that both use it without an import circle.
 */
export interface PartCache {
  get(id: number): { hash: Buffer; bytes: Buffer } | undefined;
  set(id: number, part: { hash: Buffer; bytes: Buffer }): void;
}

const WS_DIRECTIONS = ['send', 'receive'] as const;

// A page whose ids spread over more than this many times its size (a narrow filter) is read by
// its ids, not by the range between its first and last: the range would read mostly rows of others.
const RANGE_SPREAD = 4;

/** What ExchangeReader lends a page read: its prepared statements, and where damage found is noted. */
export interface PageReadAccess {
  statement(sql: string): Database.Statement;
  noteDamage(id: number, damage: ColumnDamage[]): void;
}

/**
 * An SSE event whose data, when it was stored packed, is its UTF-8 bytes in a Buffer the page's
 * events share (readPage's `sseAsBytes`), `data` then ''. An export writes them escaped straight
 * into its output (export/har.ts): a string per event, decoded and escaped again by JSON.stringify,
 * was most of the garbage of a page of 270 events. The bytes hold until the next page is read
 * with `sseAsBytes` (its events go in the same memory), as an export writes a page before reading
 * the next.
 */
export interface SseEventBytes extends SseEvent {
  /** The data's bytes from dataFrom to dataTo; null when `data` holds it. */
  dataBytes: Buffer | null;
  dataFrom: number;
  dataTo: number;
}

/** One exchange's streams in a page: what ExchangeReader.body / sseEvents / wsMessages return for it. */
export interface PageStreams {
  request: Buffer;
  response: Buffer;
  sseEvents: SseEvent[];
  wsMessages: WsMessage[];
}

interface BodyRow {
  exchange_id: number;
  side: BodySide;
  data: unknown;
  codec: unknown;
}

const EMPTY = Buffer.alloc(0);

/**
 * The streams of `ids` (ascending), read together. `sse` and `websocket`: the ids whose events or
 * messages are wanted (others get none, as an export reads them only for their stream kind).
 */
export function readPage(
  access: PageReadAccess,
  ids: number[],
  want: { sse: Set<number>; websocket: Set<number>; sseAsBytes?: boolean },
  parts?: PartCache,
): Map<number, PageStreams> {
  const page = new Map<number, PageStreams>();
  if (ids.length === 0) return page;
  for (const id of ids) page.set(id, { request: EMPTY, response: EMPTY, sseEvents: [], wsMessages: [] });
  const rowsOf = rangeQuery(access, ids);

  // Bodies: every row of the page, then the hashes of all parts referred to, asked once.
  const bodyRows = rowsOf<BodyRow>('SELECT exchange_id, side, data, codec FROM bodies', 'side, seq');
  const manifests = new Map<BodyRow, ReturnType<typeof storedManifest> | Error>();
  const referred = new Set<number>();
  for (const row of bodyRows) {
    const codec = Number(row.codec);
    if (!(codec >= SPLIT) || !Buffer.isBuffer(row.data)) continue;
    try {
      const manifest = manifestOf(codec, row.data);
      for (const ref of manifest.refs) referred.add(ref.id);
      manifests.set(row, manifest);
    } catch (err) {
      manifests.set(row, err as Error);
    }
  }
  const blobStatement = access.statement('SELECT codec, data FROM blobs WHERE id = ?');
  // The parts the cache holds (under their id and hash: not another part stored since under the
  // id), each asked for once; the others read in one query, their hashes with them (asked apart,
  // each part was looked up twice: most are not held, some 85% of an export's).
  const kept = new Map<number, { hash: Buffer; bytes: Buffer }>();
  if (parts)
    for (const id of referred) {
      const held = parts.get(id);
      if (held) kept.set(id, held);
    }
  const keptHashes = partHashes(access, [...kept.keys()]);
  const cached = new Map<number, Buffer>();
  for (const [id, held] of kept) {
    const hash = keptHashes.get(id);
    if (hash && held.hash.equals(hash)) cached.set(id, held.bytes);
  }
  const stored = storedParts(
    access,
    [...referred].filter((id) => !cached.has(id)),
  );
  const part = (id: number): Buffer => {
    const kept = cached.get(id);
    if (kept) return kept;
    const row = stored.get(id);
    const hash = row?.hash;
    const bytes = partBytes(row ?? blobStatement.get(id), id);
    if (hash && parts) parts.set(id, { hash, bytes });
    cached.set(id, bytes);
    return bytes;
  };
  const chunks = new Map<string, Buffer[]>();
  const damages = new Map<string, ColumnDamage[]>();
  for (const row of bodyRows) {
    const key = `${row.exchange_id} ${row.side}`;
    const damage = damages.get(key) ?? [];
    damages.set(key, damage);
    const column = `bodies.data (${row.side})`;
    const bytes = storedBytes(row.data, column, damage);
    const codec = row.codec;
    let out = bytes;
    if (!(codec === 0 || codec === null || codec === undefined)) {
      try {
        const c = Number(codec);
        const manifest = c >= SPLIT ? (manifests.get(row) ?? manifestOf(c, bytes)) : null;
        if (manifest instanceof Error) throw manifest;
        out = manifest
          ? joinedBody(
              manifest,
              manifest.refs.map((ref) => ({
                at: ref.at,
                bytes: part(ref.id),
              })),
            )
          : unpackedRow(c, bytes);
      } catch (err) {
        damage.push({ column, why: `cannot be read back (${(err as Error).message}); read as none` });
        out = EMPTY;
      }
    }
    const list = chunks.get(key);
    if (list) list.push(out);
    else chunks.set(key, [out]);
  }
  for (const [id, streams] of page) {
    for (const side of ['request', 'response'] as const) {
      const key = `${id} ${side}`;
      const list = chunks.get(key);
      if (list) streams[side] = list.length === 1 ? list[0] : Buffer.concat(list);
      access.noteDamage(id, damages.get(key) ?? []);
    }
  }

  if (want.sse.size) readEvents(access, page, want.sse, rowsOf, want.sseAsBytes === true);
  if (want.websocket.size) readMessages(access, page, want.websocket, rowsOf);
  return page;
}

/**
 * Rows of a table for the page's exchanges. `raw`: each row an array of its columns in the order
 * selected, the exchange id first (better-sqlite3 builds an object column by column: for a page's
 * 270 SSE event rows that took 0.7 ms, arrays 0.45).
 */
type RowsOf = <T>(select: string, order: string, raw?: boolean, unfiltered?: boolean) => T[];

/**
 * Rows of a table for the page's exchanges, by exchange then `order`: the range between its first
 * and last id, or its ids. `unfiltered`: every row the query reads, also of exchanges in the range
 * that are not the page's (rows matched one for one with another query over the same rows).
 */
function rangeQuery(access: PageReadAccess, ids: number[]): RowsOf {
  const first = ids[0];
  const last = ids[ids.length - 1];
  const wanted = new Set(ids);
  // The mode set on each use: a statement is shared by all who ask for its SQL.
  const query = (sql: string, raw: boolean) => access.statement(sql).raw(raw);
  if (last - first + 1 <= ids.length * RANGE_SPREAD)
    return <T>(select: string, order: string, raw = false, unfiltered = false) => {
      const rows = query(`${select} WHERE exchange_id BETWEEN ? AND ? ORDER BY exchange_id, ${order}`, raw).all(
        first,
        last,
      ) as (T & { exchange_id: number; 0: number })[];
      return unfiltered ? rows : rows.filter((row) => wanted.has(raw ? row[0] : row.exchange_id));
    };
  const list = JSON.stringify(ids);
  return <T>(select: string, order: string, raw = false) =>
    query(`${select} WHERE exchange_id IN (SELECT value FROM json_each(?)) ORDER BY exchange_id, ${order}`, raw).all(
      list,
    ) as T[];
}

/** A row's bytes unpacked: a small deflated one here (db/small-inflate.ts; zlib set up for each row cost more than the inflating), else by zlib. */
function unpackedRow(codec: number, bytes: Buffer): Buffer {
  return (codec === CODEC.deflateDict1 ? inflateSmall(bytes, DICTIONARY_V1) : null) ?? unpacked(codec, bytes);
}

/**
 * A split body's record read as storedManifest reads it, its small deflated record inflated here
 * (db/small-inflate.ts) and handed on as raw: a zlib stream set up for each record cost an export
 * 5% of its CPU. A record left to zlib is read by storedManifest, errors and all.
 */
function manifestOf(codec: number, data: Buffer): ReturnType<typeof storedManifest> {
  const split = codec >= ENCODED_SPLIT ? ENCODED_SPLIT : SPLIT;
  const record = codec - split === CODEC.deflateDict1 ? inflateSmall(data, DICTIONARY_V1) : null;
  return record ? storedManifest(split + CODEC.raw, record) : storedManifest(codec, data);
}

/** A part's row: its bytes as stored, and its hash when it is one (a blob). */
interface PartRow {
  codec: unknown;
  data: unknown;
  hash: Buffer | undefined;
}

/** Parts by id, as stored (unpacked when used: one that cannot be is damage of the body that uses it, as in ExchangeReader.body). */
function storedParts(access: PageReadAccess, ids: number[]): Map<number, PartRow> {
  const found = new Map<number, PartRow>();
  if (ids.length === 0) return found;
  const rows = access
    .statement('SELECT id, codec, data, hash FROM blobs WHERE id IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify(ids)) as { id: number; codec: unknown; data: unknown; hash: unknown }[];
  for (const row of rows)
    found.set(row.id, {
      codec: row.codec,
      data: row.data,
      hash: Buffer.isBuffer(row.hash) ? row.hash : undefined,
    });
  return found;
}

/** A part's bytes, as db/blobs.ts readBlob reads them (a missing part is an error naming it), a small one inflated here (db/small-inflate.ts). */
function partBytes(row: unknown, id: number): Buffer {
  const found = row as { codec: number; data: unknown } | undefined;
  if (!found || !Buffer.isBuffer(found.data))
    throw new Error(`part ${id} of a stored body is missing from the database`);
  return unpackedRow(found.codec, found.data);
}

function partHashes(access: PageReadAccess, ids: number[]): Map<number, Buffer> {
  const hashes = new Map<number, Buffer>();
  if (ids.length === 0) return hashes;
  const rows = access
    .statement('SELECT id, hash FROM blobs WHERE id IN (SELECT value FROM json_each(?))')
    .all(JSON.stringify(ids)) as { id: number; hash: unknown }[];
  for (const row of rows) if (Buffer.isBuffer(row.hash)) hashes.set(row.id, row.hash);
  return hashes;
}

// Room for a page's packed SSE events' data (SseEventBytes), a Buffer at a time (one or two a
// page), the same Buffers for every page: a new one each page, the external memory V8 counted,
// made its collector run more often than the strings they replace had.
const EVENT_BYTES_ROOM = 128 * 1024;
const EVENT_ROOMS_KEPT = 8;
const eventRooms: Buffer[] = [];

/** The page's `n`th room for events' bytes: one kept from the pages before, or new. */
function eventRoom(n: number): Buffer {
  if (n < eventRooms.length) return eventRooms[n];
  const room = Buffer.allocUnsafeSlow(EVENT_BYTES_ROOM);
  if (eventRooms.length < EVENT_ROOMS_KEPT) eventRooms.push(room);
  return room;
}

// A packed event (a small deflated blob): its data read from the page's packed data (PACKED_EVENTS), not as a Buffer of its own.
const PACKED = `codec = ${CODEC.deflateDict1} AND typeof(data) = 'blob'`;
const EVENT_ROWS = 'SELECT exchange_id, seq, offset_ms, event, event_id, data, codec FROM sse_events';
const EVENT_ROWS_PACKED_APART = `SELECT exchange_id, seq, offset_ms, event, event_id, CASE WHEN ${PACKED} THEN NULL ELSE data END, codec, CASE WHEN ${PACKED} THEN length(data) END FROM sse_events`;
// The page's packed events' data, one after the other in the rows' order, as one blob: better-sqlite3
// makes a Buffer of each blob (a malloc, an ArrayBuffer, its sweeping: some 1 µs each, 0.55 s of CPU
// per 100,000 exchanges of the packed store). group_concat appends a blob's bytes as they are; the
// text it makes is read back as the blob of the same bytes.
const PACKED_EVENTS = `SELECT CAST(group_concat(data, '') AS BLOB) FROM (SELECT data FROM (SELECT exchange_id, seq, data FROM sse_events WHERE ${PACKED})`;

function readEvents(
  access: PageReadAccess,
  page: Map<number, PageStreams>,
  want: Set<number>,
  rowsOf: RowsOf,
  asBytes = false,
): void {
  // As bytes: the rows of every exchange the query reads (the packed data's places count them all).
  const rows = asBytes
    ? rowsOf<unknown[]>(EVENT_ROWS_PACKED_APART, 'seq', true, true)
    : rowsOf<unknown[]>(EVENT_ROWS, 'seq', true);
  const packed = asBytes ? packedEvents(rowsOf) : EMPTY;
  let packedAt = 0;
  const damages = new Map<number, ColumnDamage[]>();
  let room: Buffer = EMPTY;
  let rooms = 0;
  let used = 0;
  for (const row of rows) {
    const [exchangeId, seq, offsetMs, event, eventId, stored, codec] = row;
    const id = exchangeId as number;
    // Packed apart: its bytes are the next in `packed`.
    const packedLength = asBytes ? (row[7] as number | null) : null;
    const packedFrom = packedAt;
    if (packedLength !== null) packedAt += packedLength;
    if (!want.has(id)) continue;
    let damage = damages.get(id);
    if (!damage) damages.set(id, (damage = []));
    const small = packedLength !== null || (codec && Buffer.isBuffer(stored) && Number(codec) === CODEC.deflateDict1);
    // Inflated into the page's room, no string made (SseEventBytes); what it cannot take is read as text below.
    let inRoom = -1;
    if (asBytes && small) {
      if (room.length - used < SMALL_INFLATE_MAX_BYTES) {
        room = eventRoom(rooms++);
        used = 0;
      }
      inRoom =
        packedLength !== null
          ? inflateSmallInto(packed, DICTIONARY_V1, room, used, packedFrom, packedAt)
          : inflateSmallInto(stored as Buffer, DICTIONARY_V1, room, used);
    }
    // A packed event's data is bytes (db/compression.ts); read as the text it was.
    // What the inflater left (zlib reads it) is read from a Buffer of its own, as it was stored.
    const bytes = packedLength !== null ? Buffer.from(packed.subarray(packedFrom, packedAt)) : stored;
    const data =
      inRoom >= 0
        ? ''
        : codec && Buffer.isBuffer(bytes)
          ? ((small ? inflateSmallText(bytes, DICTIONARY_V1) : null) ??
            unpackedOrNone(codec, bytes, damage).toString('utf8'))
          : bytes;
    const r = new RowReading({ seq, offset_ms: offsetMs, event, event_id: eventId, data });
    const read = sseEventOf(r);
    const streams = page.get(id);
    if (asBytes) {
      const withBytes = read as SseEventBytes;
      withBytes.dataBytes = inRoom >= 0 ? room : null;
      withBytes.dataFrom = used;
      withBytes.dataTo = used + Math.max(0, inRoom);
      used += Math.max(0, inRoom);
    }
    streams?.sseEvents.push(read);
    for (const d of r.damage) damage.push({ column: `sse_events.${d.column}`, why: d.why });
  }
  for (const id of want) access.noteDamage(id, damages.get(id) ?? []);
}

/** The page's packed events' data in one Buffer (PACKED_EVENTS), in the order of its rows. */
function packedEvents(rowsOf: RowsOf): Buffer {
  // rowsOf's range and order go in the inner query (`seq)` closes it): the order the rows are read in.
  const [row] = rowsOf<unknown[]>(PACKED_EVENTS, 'seq)', true, true);
  const bytes = row?.[0];
  return Buffer.isBuffer(bytes) ? bytes : EMPTY;
}

function readMessages(access: PageReadAccess, page: Map<number, PageStreams>, want: Set<number>, rowsOf: RowsOf): void {
  const rows = rowsOf<Record<string, unknown>>(
    'SELECT exchange_id, seq, offset_ms, direction, opcode, payload, codec FROM ws_messages',
    'seq',
  );
  const damages = new Map<number, ColumnDamage[]>();
  for (const row of rows) {
    const id = row.exchange_id as number;
    if (!want.has(id)) continue;
    let damage = damages.get(id);
    if (!damage) damages.set(id, (damage = []));
    const r = new RowReading(row);
    page.get(id)?.wsMessages.push({
      seq: r.number('seq'),
      offsetMs: r.number('offset_ms'),
      direction: r.oneOf('direction', WS_DIRECTIONS, 'receive'),
      opcode: r.number('opcode', 2),
      payload: unpackedOrNone(row.codec, storedBytes(row.payload, 'payload', r.damage), r.damage, 'payload'),
    });
    for (const d of r.damage) damage.push({ column: `ws_messages.${d.column}`, why: d.why });
  }
  for (const id of want) access.noteDamage(id, damages.get(id) ?? []);
}

/** As ExchangeReader's unpackedColumn: what cannot be unpacked is noted and read as none. */
function unpackedOrNone(codec: unknown, bytes: Buffer, damage: ColumnDamage[], column = 'sse_events.data'): Buffer {
  if (codec === 0 || codec === null || codec === undefined) return bytes;
  try {
    return unpacked(Number(codec), bytes);
  } catch (err) {
    damage.push({ column, why: `cannot be read back (${(err as Error).message}); read as none` });
    return EMPTY;
  }
}

/** Only the SSE events of `ids` (ascending), in one query, as readPage reads them: for a reader that needs no bodies (`wirelog doctor`). */
export function readPageEvents(access: PageReadAccess, ids: number[]): Map<number, SseEvent[]> {
  const page = new Map<number, PageStreams>();
  for (const id of ids) page.set(id, { request: EMPTY, response: EMPTY, sseEvents: [], wsMessages: [] });
  if (ids.length) readEvents(access, page, new Set(ids), rangeQuery(access, ids));
  return new Map([...page].map(([id, streams]) => [id, streams.sseEvents]));
}
