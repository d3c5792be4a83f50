import type { BodyInfo, BodySide, Exchange, Header } from '../model/exchange.ts';
import { headerValue } from '../model/exchange.ts';
import { decodeBody, isTextBody } from './decode.ts';
import type { ExchangeReader } from './reader.ts';

/** A body as people read it: decoded from its Content-Encoding, as text when it is text. */
export interface BodyView {
  mimeType: string;
  /** Content-Encoding it crossed the wire with; empty for identity. */
  encoding: string;
  /** Bytes on the wire, and how many of them were stored. */
  size: number;
  storedSize: number;
  truncated: boolean;
  decodeError: string | null;
  /** Exactly one of text and base64 is set. */
  text: string | null;
  base64: string | null;
  /** Length after decoding. */
  decodedSize: number;
}

/** A body as people read it, from its stored bytes: a pure function, tested without a database. */
export function bodyViewOf(raw: Buffer, info: BodyInfo, headers: Header[]): BodyView {
  const mimeType = headerValue(headers, 'content-type') ?? '';
  // A truncated compressed body cannot be decoded whole; show what decodes.
  const decoded = decodeBody(raw, info.encoding);
  const text = isTextBody(mimeType, decoded.data);
  return {
    mimeType,
    encoding: info.encoding,
    size: info.size,
    storedSize: info.storedSize,
    truncated: info.truncated,
    decodeError: decoded.error,
    text: text ? decoded.data.toString('utf8') : null,
    base64: text ? null : decoded.data.toString('base64'),
    decodedSize: decoded.data.length,
  };
}

/** One side of a stored exchange, read from the database and decoded. */
export function bodyView(reader: ExchangeReader, exchange: Exchange, side: BodySide): BodyView {
  const info = side === 'request' ? exchange.requestBody : exchange.responseBody;
  const headers = side === 'request' ? exchange.request.headers : (exchange.response?.headers ?? []);
  return bodyViewOf(reader.body(exchange.id, side), info, headers);
}
