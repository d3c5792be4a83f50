// One agent session read for sharing (issue 27): its header, its turns as the session view shows
// them (llm/session-read.ts), and each turn's raw exchange (headers and bodies as stored, so
// masked as stored), a page of turns at a time so memory stays flat however long the session.
// The HTML page (export/session-html.ts) and the Markdown transcript (export/session-markdown.ts)
// are renderers of what this reads; both are written piece by piece through `write`.
import { bodyView, type BodyView } from '../db/body-view.ts';
import type { ExchangeReader } from '../db/reader.ts';
import { exchangeUrl, type Exchange, type Header } from '../model/exchange.ts';
import type { SessionHeader, SessionTurn } from '../llm/session.ts';
import { recentSessions, sessionPage, sessionRows } from '../llm/session-read.ts';

/** Characters of a body the export shows at most (the HAR export has it whole); past it, a note says how much was left out. */
export const EXPORT_BODY_CHARS = 32 * 1024;
/** Turns read (and their bodies parsed) at a time. */
const EXPORT_PAGE = 50;

/** Why there is nothing to export: no such session, or no session at all. */
export class SessionExportError extends Error {
  constructor(
    readonly reason: 'noSession' | 'noSessions',
    readonly params: Record<string, string>,
  ) {
    super(reason);
  }
}

/** One side of a raw exchange as exported: headers as stored, the body as text trimmed, or what it was instead. */
export interface RawSide {
  headers: Header[];
  /** The body's text, trimmed at EXPORT_BODY_CHARS; null when there is none or it is binary. */
  text: string | null;
  /** Characters of the whole decoded text (more than text.length when trimmed). */
  textChars: number;
  /** A binary body: its bytes and type, not shown. */
  binary: { size: number; mime: string } | null;
  /** The capture stored only part of it. */
  notStored: { stored: number; size: number } | null;
  decodeError: string | null;
}

export interface RawExchange {
  id: number;
  method: string;
  url: string;
  state: Exchange['state'];
  error: string | null;
  notes: string[];
  request: RawSide;
  /** Null when no response came (refused, reset, timed out). */
  response: (RawSide & { status: number; statusText: string }) | null;
  /** A WebSocket turn: its messages as text lines (→ sent, ← received), trimmed as a body is. */
  webSocket: { count: number; text: string; textChars: number } | null;
}

export interface ExportTurn {
  turn: SessionTurn;
  raw: RawExchange | null;
}

/** What a renderer is handed: the header first, then the turns in order, then the end. */
export interface SessionRenderer {
  start(header: SessionHeader, total: number, cut: boolean): string;
  turn(turn: ExportTurn): string;
  end(): string;
}

const trim = (text: string): string => (text.length > EXPORT_BODY_CHARS ? text.slice(0, EXPORT_BODY_CHARS) : text);

function rawSide(view: BodyView, headers: Header[]): RawSide {
  return {
    headers,
    text: view.text === null || view.decodedSize === 0 ? null : trim(view.text),
    textChars: view.text?.length ?? 0,
    binary: view.text === null && view.decodedSize > 0 ? { size: view.decodedSize, mime: view.mimeType } : null,
    notStored: view.truncated ? { stored: view.storedSize, size: view.size } : null,
    decodeError: view.decodeError,
  };
}

function webSocketText(reader: ExchangeReader, exchange: Exchange): RawExchange['webSocket'] {
  if (exchange.streamKind !== 'websocket') return null;
  const messages = reader.wsMessages(exchange.id);
  const lines = messages.map((m) => {
    const payload = Buffer.from(m.payload);
    return `${m.direction === 'send' ? '→' : '←'} ${m.opcode === 1 ? payload.toString('utf8') : `[${payload.length} bytes, opcode ${m.opcode}]`}`;
  });
  const text = lines.join('\n');
  return { count: messages.length, text: trim(text), textChars: text.length };
}

/** A turn's exchange as stored: headers (masked at capture), bodies decoded and trimmed. */
export function rawExchange(reader: ExchangeReader, exchange: Exchange): RawExchange {
  const res = exchange.response;
  return {
    id: exchange.id,
    method: exchange.request.method,
    url: exchangeUrl(exchange.request),
    state: exchange.state,
    error: exchange.error,
    notes: exchange.notes ?? [],
    request: rawSide(bodyView(reader, exchange, 'request'), exchange.request.headers),
    response: res
      ? {
          ...rawSide(bodyView(reader, exchange, 'response'), res.headers),
          status: res.status,
          statusText: res.statusText,
        }
      : null,
    webSocket: webSocketText(reader, exchange),
  };
}

/**
 * The session to export: `key` as stored (a thread key such as `session:ID`), or the bare id a
 * session header carried (`ID` for `session:ID`); without one, the most recent session.
 */
export function resolveSessionKey(reader: ExchangeReader, key: string | undefined): string {
  if (key === undefined) {
    const recent = recentSessions(reader, 1)[0];
    if (!recent) throw new SessionExportError('noSessions', {});
    return recent.key;
  }
  for (const candidate of [key, `session:${key}`]) if (reader.count({ thread: candidate }) > 0) return candidate;
  throw new SessionExportError('noSession', { key });
}

/**
 * Writes a session through a renderer, a page of turns at a time, oldest first. `write` may
 * return a promise to apply backpressure. Returns how many turns were written.
 */
export async function writeSession(
  reader: ExchangeReader,
  key: string,
  renderer: SessionRenderer,
  write: (text: string) => unknown,
): Promise<number> {
  const total = sessionRows(reader, key).length;
  if (total === 0) throw new SessionExportError('noSession', { key });
  let written = 0;
  for (let offset = 0; offset < total; offset += EXPORT_PAGE) {
    const page = sessionPage(reader, key, offset, EXPORT_PAGE);
    if (offset === 0) await write(renderer.start(page.header, page.total, page.cut));
    for (const turn of page.turns) {
      const exchange = reader.get(turn.id);
      await write(renderer.turn({ turn, raw: exchange && !exchange.damaged ? rawExchange(reader, exchange) : null }));
      written++;
    }
    if (page.turns.length === 0) break;
  }
  await write(renderer.end());
  return written;
}
