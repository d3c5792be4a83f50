// A HAR file read as a stream: its JSON tokenized by stream-json's parser, each entry of
// log.entries assembled alone (iteratively, within export/har-import.ts's limits) and the rest
// of the document skipped, so a file of any size costs the memory of a few entries. An import
// reads the file twice: first every entry is checked (a bad one anywhere and nothing is
// stored), then the entries are converted and handed to storage in small batches, oldest first.
import fs from 'node:fs';
import { jsonParser, type Token } from 'stream-json/core/parser.js';
import type { ExchangeEvent } from '../model/exchange.ts';
import {
  HarImportError,
  MAX_BODY_CHARS,
  MAX_ENTRY_CHARS,
  MAX_ENTRY_DEPTH,
  MAX_FIELD_CHARS,
  MAX_HEAD_FIELD_CHARS,
  notHar,
  checkEntry,
  checkedBefore,
  entryEvents,
  skippedNote,
  unstoredScheme,
  refusal,
  sizeText,
  type CutBody,
  type HarImportOptions,
  type ReadEntry,
} from './har-import.ts';
import { serverText } from '../i18n/stored-text.ts';

/** An import's sentence in English, from the catalogue (said to the reader in their language: i18n/stored-text.ts). */
const say = (key: string, params: Record<string, string | number> = {}) => serverText('en', `api.${key}`, params);

/** Storage failed partway: what was stored stays, and the message says which. */
export class HarStorageError extends Error {}

/** Where an import is, as its progress reports say: `upload` (the viewer receiving the file), `check`, `store`. */
export interface ImportProgress {
  phase: 'upload' | 'check' | 'store';
  /** Bytes of the file read (received, while uploading). */
  bytes: number;
  /** The file's size; 0 while unknown (an upload). */
  totalBytes: number;
  /** Entries read so far (all of them, once checked). */
  entries: number;
  /** Entries stored so far. */
  stored: number;
}

export interface ImportResult {
  /** Entries in the file: stored, or skipped (not HTTP or WebSocket) as a note says. */
  entries: number;
  /** The ids of the stored exchanges, ascending. */
  ids: number[];
  /** What was stored otherwise than it was in the file (bodies cut, JSON too deep to read as JSON), each naming its entry. */
  notes: string[];
}

// A member name or a number longer than this (its text held whole while it is read) ends the import.
const MAX_PACKED_CHARS = 1024 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;
// A batch is one transaction of the storage thread: small by default, so live captures are stored
// between two (each takes a few tens of ms); `wirelog import`, with no capture to let through,
// takes larger ones (fewer commits: each rewrites the full-text index's new pages).
const BATCH = { entries: 100, bytes: 4 * 1024 * 1024 };
// Entries are stored oldest first; converted entries wait for older ones up to this many bytes.
const REORDER_BYTES = 64 * 1024 * 1024;
const MAX_NOTES = 20;

type Container = Record<string, unknown> | unknown[];
interface Frame {
  value: Container;
  /** The member name the next value takes (objects). */
  key: string | null;
  /** Where it sits in its parent. */
  at: string | number | null;
}
interface OpenString {
  parts: string[];
  chars: number;
  kept: number;
  cap: number;
  unreadBytes: number;
  body: 'request' | 'response' | null;
  /** A request body from HTTP Toolkit's request._content.text. */
  own: boolean;
  /** False: only measured (see HarEntryReader's `payloads`). */
  keep: boolean;
}

/** Assembles the entries of log.entries from the file's bytes, one entry at a time; the rest of the document is skipped. */
export class HarEntryReader {
  private readonly parse = jsonParser({
    packKeys: true,
    streamKeys: false,
    packStrings: false,
    streamStrings: true,
    packNumbers: true,
    streamNumbers: false,
    maxDepth: Infinity,
    maxPackedLength: MAX_PACKED_CHARS,
  });
  // HAR 1.2: a file is UTF-8, and a reader ignores a byte order mark (TextDecoder's default).
  // Bytes that are not UTF-8 refuse the file: read as U+FFFD, every Chinese character of a GBK
  // file was lost without a word.
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly ready: ReadEntry[] = [];
  /** Containers open above the entries: the root object, log, log.entries. */
  private readonly outer: ('root' | 'log' | 'entries')[] = [];
  private outerKey: string | null = null;
  /** Containers open inside a value that is skipped (not log.entries). */
  private skipping = 0;
  private started = false;
  private notHar = false;
  private sawEntries = false;
  /** Entries begun so far. */
  count = 0;
  bytes = 0;
  // The entry being assembled.
  private frames: Frame[] = [];
  private string: OpenString | null = null;
  private cut: CutBody[] = [];
  private entryChars = 0;
  /** Why the entry cannot be read whole; from then on its tokens are only counted to find its end. */
  private problem: string | null = null;
  private brokenDepth = 0;
  private inEntry = false;
  private partial: unknown = null;
  /** A field longer than it may be: the entry is read on (to name it) and refused. */
  private tooLong: string | null = null;

  /** `payloads` false: bodies, SSE data and WebSocket messages are measured, not kept (they read as ''), for a reading that only checks. */
  constructor(
    private readonly source: string,
    private readonly payloads = true,
  ) {}

  /** Reads the next bytes of the file; the entries they completed. */
  push(chunk: Buffer): ReadEntry[] {
    // UTF-16: a byte order mark, or an ASCII first character beside a NUL (RFC 4627 3); said as
    // such, not as "not JSON". (A file of NULs is neither.)
    if (this.bytes === 0 && chunk.length >= 2 && (bom16(chunk) || (chunk[0] === 0) !== (chunk[1] === 0)))
      throw new HarImportError(say('harUtf16', { source: this.source }));
    this.bytes += chunk.length;
    const text = this.decode(chunk, true);
    this.tokens(() => this.parse(text), false);
    return this.ready.splice(0);
  }

  private decode(chunk: Uint8Array, more: boolean): string {
    try {
      return this.decoder.decode(chunk, { stream: more });
    } catch {
      throw new HarImportError(say('harNotUtf8', { source: this.source, bytes: this.bytes }));
    }
  }

  /** The file ended: the last entries, or why the file is not a HAR document. */
  finish(): ReadEntry[] {
    const rest = this.decode(new Uint8Array(0), false);
    if (rest) this.tokens(() => this.parse(rest), false);
    this.tokens(() => this.parse(NONE), true);
    if (!this.sawEntries || this.notHar) throw new HarImportError(notHar(this.source));
    return this.ready.splice(0);
  }

  private tokens(run: () => unknown, end: boolean): void {
    let result: unknown;
    try {
      result = run();
    } catch (err) {
      // Tokens come a chunk at a time: the entry named is the last one whose start was read.
      const why = end ? say('harCutShort') : (err as Error).message.replace(/^parser: /, '');
      const said = { source: this.source, bytes: this.bytes, error: why };
      throw new HarImportError(
        this.count
          ? say('notJsonHarStream', { ...said, where: say('harNotJsonAfter', { n: this.count }) })
          : say('notJsonHarStreamStart', said),
      );
    }
    const values = (result as { values?: Token[] } | null)?.values;
    if (values) for (const token of values) this.token(token);
  }

  private token(t: Token): void {
    if (this.inEntry) return this.entryToken(t);
    if (this.skipping > 0) {
      if (t.name === 'startObject' || t.name === 'startArray') this.skipping++;
      else if (t.name === 'endObject' || t.name === 'endArray') this.skipping--;
      return;
    }
    const level = this.outer[this.outer.length - 1];
    if (t.name === 'keyValue') {
      this.outerKey = t.value;
      return;
    }
    if (t.name === 'endObject' || t.name === 'endArray') {
      this.outer.pop();
      return;
    }
    if (level === 'entries') return this.entryToken(t, true);
    const opens = t.name === 'startObject' || t.name === 'startArray';
    const isValue =
      opens ||
      t.name === 'startString' ||
      t.name === 'numberValue' ||
      t.name === 'nullValue' ||
      t.name === 'trueValue' ||
      t.name === 'falseValue';
    if (!isValue) return;
    const key = this.outerKey;
    this.outerKey = null;
    if (level === undefined) {
      if (this.started) return;
      this.started = true;
      if (t.name === 'startObject') this.outer.push('root');
      else {
        this.notHar = true;
        if (opens) this.skipping = 1;
      }
    } else if (level === 'root' && key === 'log' && t.name === 'startObject') this.outer.push('log');
    else if (level === 'log' && key === 'entries' && t.name === 'startArray') {
      this.outer.push('entries');
      this.sawEntries = true;
    } else if (opens) this.skipping = 1;
  }

  /** A token of an entry (`first`: the token that starts one). */
  private entryToken(t: Token, first = false): void {
    if (first) {
      if (t.name === 'endString' || t.name === 'stringChunk') return;
      this.inEntry = true;
      this.count++;
      this.frames = [];
      this.cut = [];
      this.entryChars = 0;
      this.problem = null;
      this.tooLong = null;
      this.brokenDepth = 0;
    }
    if (this.problem !== null) {
      if (t.name === 'startObject' || t.name === 'startArray') this.brokenDepth++;
      else if ((t.name === 'endObject' || t.name === 'endArray') && --this.brokenDepth === 0) this.done();
      return;
    }
    switch (t.name) {
      case 'startObject':
      case 'startArray': {
        if (this.frames.length >= MAX_ENTRY_DEPTH)
          return this.broken(`${this.pathText()} is nested more than ${MAX_ENTRY_DEPTH} levels deep`, 1);
        const value: Container = t.name === 'startObject' ? {} : [];
        const at = this.place(value);
        this.frames.push({ value, key: null, at });
        return;
      }
      case 'endObject':
      case 'endArray': {
        const frame = this.frames.pop()!;
        if (this.frames.length === 0) this.done(frame.value);
        return;
      }
      case 'keyValue':
        this.top()!.key = t.value;
        return;
      case 'startString': {
        const body = this.bodySide();
        const own = body === 'request' && this.frames[2].at === '_content';
        const message = !body && this.isMessageData();
        this.string = {
          parts: [],
          chars: 0,
          kept: 0,
          cap: body ? MAX_BODY_CHARS : message ? MAX_FIELD_CHARS : MAX_HEAD_FIELD_CHARS,
          unreadBytes: 0,
          body,
          own,
          keep: this.payloads || !(body || message),
        };
        return;
      }
      case 'stringChunk': {
        const s = this.string!;
        const room = s.cap - s.kept;
        const kept = room >= t.value.length ? t.value : t.value.slice(0, Math.max(0, room));
        if (kept.length && s.keep) s.parts.push(kept);
        if (kept.length < t.value.length) s.unreadBytes += Buffer.byteLength(t.value.slice(kept.length));
        s.kept += kept.length;
        s.chars += t.value.length;
        this.entryChars += kept.length;
        if (this.entryChars > MAX_ENTRY_CHARS)
          this.broken(
            say('harEntryTooLong', {
              chars: Math.round(MAX_ENTRY_CHARS / 1024 ** 2),
              body: Math.round(MAX_BODY_CHARS / 1024 ** 2),
            }),
            0,
          );
        return;
      }
      case 'endString': {
        const s = this.string!;
        this.string = null;
        if (s.chars > s.cap) {
          // A body is stored cut; any other field that long refuses the entry (kept cut meanwhile, to name it).
          if (s.body)
            this.cut.push({
              side: s.body,
              chars: s.chars,
              unreadBytes: s.unreadBytes,
              ...(s.own ? { own: true as const } : {}),
            });
          else
            this.tooLong ??= `${this.pathText()} is ${sizeText(s.chars)}, over the ${sizeText(s.cap)} wirelog imports for such a field`;
        }
        this.value(s.parts.length === 1 ? s.parts[0] : s.parts.join(''));
        return;
      }
      case 'numberValue':
        return this.value(Number(t.value));
      case 'nullValue':
        return this.value(null);
      case 'trueValue':
        return this.value(true);
      case 'falseValue':
        return this.value(false);
      default:
    }
  }

  private top(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  /** Puts a value in the open container; where it went. */
  private place(value: unknown): string | number | null {
    const top = this.top();
    if (!top) return null;
    if (Array.isArray(top.value)) {
      top.value.push(value);
      return top.value.length - 1;
    }
    const key = top.key ?? '';
    // As JSON.parse does: an own member, never the prototype's setter.
    if (key === '__proto__')
      Object.defineProperty(top.value, key, { value, writable: true, enumerable: true, configurable: true });
    else top.value[key] = value;
    top.key = null;
    return key;
  }

  private value(value: unknown): void {
    if (this.frames.length === 0) return this.done(value);
    this.place(value);
  }

  /** request.postData.text, request._content.text (HTTP Toolkit's binary body) or response.content.text: the strings cut rather than refused. */
  private bodySide(): 'request' | 'response' | null {
    if (this.frames.length !== 3 || this.frames[2].key !== 'text') return null;
    const [, outer, inner] = this.frames;
    if (outer.at === 'request' && (inner.at === 'postData' || inner.at === '_content')) return 'request';
    if (outer.at === 'response' && inner.at === 'content') return 'response';
    return null;
  }

  /** An SSE event's or a WebSocket message's data. */
  private isMessageData(): boolean {
    if (this.frames.length !== 3 || this.frames[2].key !== 'data') return false;
    const list = this.frames[1].at;
    return list === '_sseEvents' || list === '_webSocketMessages';
  }

  private pathText(): string {
    const steps = this.frames.slice(1).map((f) => String(f.at));
    const key = this.top()?.key;
    if (key) steps.push(key);
    return steps.join('.') || 'the entry';
  }

  /**
   * The entry cannot be read whole: the rest of it is only counted, to find its end. What was
   * read is kept to name it (method and URL come first in every tool's HAR). `opened`: the
   * token that broke it opened a container.
   */
  private broken(problem: string, opened: number): void {
    this.problem = problem;
    this.string = null;
    this.brokenDepth = this.frames.length + opened;
    this.partial = this.frames[0]?.value ?? null;
    this.frames = [];
    if (this.brokenDepth === 0) this.done();
  }

  private done(value: unknown = this.partial): void {
    this.ready.push({ number: this.count, value, cut: this.cut, problem: this.problem ?? this.tooLong });
    this.tooLong = null;
    this.inEntry = false;
    this.frames = [];
    this.partial = null;
    this.problem = null;
  }
}

const NONE = Symbol.for('object-stream.none') as unknown as string;

/** A UTF-16 byte order mark, either way round. */
const bom16 = (bytes: Buffer): boolean =>
  (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);

/** The file's entries, a chunk's worth at a time. */
async function* entriesOf(
  file: string,
  source: string,
  payloads: boolean,
  onRead: (reader: HarEntryReader) => void,
): AsyncGenerator<ReadEntry[]> {
  const reader = new HarEntryReader(source, payloads);
  let stream: fs.ReadStream;
  try {
    stream = fs.createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
    for await (const chunk of stream) {
      const entries = reader.push(chunk as Buffer);
      onRead(reader);
      if (entries.length) yield entries;
    }
  } catch (err) {
    if (err instanceof HarImportError) throw err;
    throw new HarImportError(
      say('cannotRead', { source, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message }),
    );
  }
  yield reader.finish();
  onRead(reader);
}

export interface ImportHarOptions extends HarImportOptions {
  /** Stores one batch of whole exchanges in one transaction; their ids. */
  store(events: ExchangeEvent[]): Promise<number[]> | number[];
  progress?(progress: ImportProgress): void;
  /** Progress is reported at most this often, and at the end of each phase. */
  progressEveryMs?: number;
  /** And whenever the import has gone this much further (see importFraction), however soon. */
  progressStep?: number;
  /** Entries and body bytes per batch handed to `store`, at most (one entry larger than that goes alone). */
  batch?: { entries: number; bytes: number };
}

/** How far an import is, 0 to 1: checking is the first half, storing the second. */
export function importFraction(p: ImportProgress): number {
  if (p.phase === 'upload') return 0;
  if (p.phase === 'check') return p.totalBytes ? (0.5 * p.bytes) / p.totalBytes : 0;
  return 0.5 + (p.entries ? (0.5 * p.stored) / p.entries : 0.5);
}

/** Reports progress every `everyMs` at most, and whenever forced or (`step`) once the import has gone that much further. */
function throttled(
  report: ((p: ImportProgress) => void) | undefined,
  everyMs: number,
  step: number,
): (p: ImportProgress, force?: boolean) => void {
  let last = 0;
  let reached = 0;
  return (p, force = false) => {
    if (!report) return;
    const now = Date.now();
    const fraction = importFraction(p);
    if (!force && now - last < everyMs && fraction - reached < step) return;
    last = now;
    reached = fraction;
    report(p);
  };
}

/**
 * Imports a HAR file: every entry checked first (a refusal names each bad entry, and nothing is
 * stored), then stored in batches, oldest first. Storage failing partway throws
 * HarStorageError, saying what was stored.
 */
export async function importHarFile(file: string, options: ImportHarOptions): Promise<ImportResult> {
  let totalBytes = 0;
  try {
    totalBytes = fs.statSync(file).size;
  } catch (err) {
    throw new HarImportError(
      say('cannotRead', {
        source: options.source,
        error: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
      }),
    );
  }
  const report = throttled(options.progress, options.progressEveryMs ?? 250, options.progressStep ?? 1);
  const checkedIdentity = identity(file);
  const batchLimit = options.batch ?? BATCH;

  // First reading: every entry checked, and when it started (to store the oldest first).
  const problems: string[] = [];
  let problemCount = 0;
  let startedAt = new Float64Array(1024);
  // Entries that are not HTTP or WebSocket exchanges (data:, blob:…): skipped, and said.
  let skip = new Uint8Array(1024);
  const skippedSchemes = new Set<string>();
  let skipped = 0;
  let entries = 0;
  let checkedBytes = 0;
  for await (const batch of entriesOf(file, options.source, false, (r) =>
    report({ phase: 'check', bytes: (checkedBytes = r.bytes), totalBytes, entries: r.count, stored: 0 }),
  )) {
    for (const read of batch) {
      entries = read.number;
      const checked = checkEntry(read);
      if (checked.problems.length) {
        problemCount += checked.problems.length;
        if (problems.length < 10) problems.push(...checked.problems.slice(0, 10 - problems.length));
        continue;
      }
      if (entries > startedAt.length) {
        const grown = new Float64Array(startedAt.length * 2);
        grown.set(startedAt);
        startedAt = grown;
        const grownSkip = new Uint8Array(skip.length * 2);
        grownSkip.set(skip);
        skip = grownSkip;
      }
      startedAt[entries - 1] = Date.parse(checked.entry!.startedDateTime);
      const scheme = unstoredScheme(checked.entry!);
      if (scheme !== null) {
        skip[entries - 1] = 1;
        skipped++;
        skippedSchemes.add(scheme);
      }
    }
  }
  report({ phase: 'check', bytes: checkedBytes, totalBytes, entries, stored: 0 }, true);
  if (problemCount) throw new HarImportError(refusal(options.source, problems, problemCount));
  const rank = ranksOf(startedAt.subarray(0, entries));
  // The second reading trusts the first's checks: the file must be the one that was checked.
  const unchanged = (): void => {
    if (identity(file) !== checkedIdentity)
      throw new HarStorageError(say('harChanged', { source: options.source, stored, entries }));
  };
  unchanged();

  // Second reading: converted, put in time order, handed to storage in batches.
  const ids: number[] = [];
  const notes: string[] = [];
  let noted = 0;
  let stored = 0;
  let storing: Promise<void> | null = null;
  let batch: ExchangeEvent[] = [];
  let batchEntries = 0;
  let batchBytes = 0;
  const pending = new Map<number, { events: ExchangeEvent[]; bytes: number }>();
  let pendingBytes = 0;
  let next = 0;
  const emitted = new Uint8Array(entries);
  let outOfOrder = false;

  const storeBatch = async (events: ExchangeEvent[], count: number): Promise<void> => {
    try {
      ids.push(...(await options.store(events)));
    } catch (err) {
      ids.sort((a, b) => a - b);
      const said = { stored, entries, source: options.source, error: (err as Error).message };
      throw new HarStorageError(
        ids.length
          ? say('harStoreFailedIds', { ...said, first: ids[0], last: ids[ids.length - 1] })
          : say('harStoreFailed', said),
      );
    }
    stored += count;
    report({ phase: 'store', bytes: checkedBytes, totalBytes, entries, stored });
  };
  const handOver = async (): Promise<void> => {
    if (!batchEntries) return;
    const events = batch;
    const count = batchEntries;
    batch = [];
    batchEntries = 0;
    batchBytes = 0;
    // One batch is stored while the next is made.
    await storing;
    storing = storeBatch(events, count);
    // A failure is thrown when the next batch waits for this one, or at the end.
    storing.catch(() => undefined);
  };
  const add = async (at: number): Promise<void> => {
    const one = pending.get(at)!;
    pending.delete(at);
    pendingBytes -= one.bytes;
    emitted[at] = 1;
    // A skipped entry only keeps its place in the order.
    if (one.events.length === 0) return;
    batch.push(...one.events);
    batchEntries++;
    batchBytes += one.bytes;
    if (batchEntries >= batchLimit.entries || batchBytes >= batchLimit.bytes) await handOver();
  };
  const drain = async (all: boolean): Promise<void> => {
    while (next < entries && emitted[next]) next++;
    while (pending.has(next)) {
      await add(next);
      while (next < entries && emitted[next]) next++;
    }
    if (all || pendingBytes > REORDER_BYTES) {
      // Older entries are too far ahead in the file to wait for: what waits goes now, in time order.
      if (!all) outOfOrder = true;
      for (const at of [...pending.keys()].sort((a, b) => a - b)) await add(at);
    }
  };

  let seen = 0;
  for await (const reads of entriesOf(file, options.source, true, (r) =>
    report({ phase: 'store', bytes: (checkedBytes = r.bytes), totalBytes, entries, stored }),
  )) {
    for (const read of reads) {
      seen = read.number;
      if (read.number > entries || read.problem) {
        await storing;
        throw new HarStorageError(say('harChangedEntry', { source: options.source, n: read.number, stored, entries }));
      }
      if (skip[read.number - 1]) {
        pending.set(rank[read.number - 1], { events: [], bytes: 0 });
        await drain(false);
        continue;
      }
      const made = entryEvents(checkedBefore(read), options, read);
      for (const note of made.notes) if (noted++ < MAX_NOTES) notes.push(note);
      const bytes = made.events.reduce(
        (n, e) =>
          n +
          (e.type === 'body-chunk'
            ? e.chunk.byteLength
            : e.type === 'ws-message'
              ? e.message.payload.byteLength
              : e.type === 'sse-event'
                ? e.event.data.length
                : 0) +
          200,
        0,
      );
      pending.set(rank[read.number - 1], { events: made.events, bytes });
      pendingBytes += bytes;
      await drain(false);
    }
  }
  await storing;
  unchanged();
  if (seen !== entries)
    throw new HarStorageError(say('harChangedCount', { source: options.source, entries, seen, stored }));
  await drain(true);
  await handOver();
  await storing;
  if (noted > MAX_NOTES) notes.push(say('harMoreNotes', { n: noted - MAX_NOTES }));
  if (skipped) notes.unshift(skippedNote(skipped, skippedSchemes));
  if (outOfOrder) notes.push(say('harOutOfOrder', { source: options.source }));
  report({ phase: 'store', bytes: checkedBytes, totalBytes, entries, stored }, true);
  return { entries, ids: ids.sort((a, b) => a - b), notes };
}

/** What tells a file from another, or from itself rewritten. */
function identity(file: string): string {
  try {
    const s = fs.statSync(file, { bigint: true });
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return 'gone';
  }
}

/** Each entry's place when sorted by start time (ties in file order); the identity for a file in time order. */
function ranksOf(startedAt: Float64Array): Uint32Array {
  const rank = new Uint32Array(startedAt.length);
  let sorted = true;
  for (let i = 0; i < startedAt.length; i++) {
    rank[i] = i;
    if (i > 0 && startedAt[i] < startedAt[i - 1]) sorted = false;
  }
  if (sorted) return rank;
  const order = Array.from(rank).sort((a, b) => startedAt[a] - startedAt[b] || a - b);
  order.forEach((entry, place) => (rank[entry] = place));
  return rank;
}
