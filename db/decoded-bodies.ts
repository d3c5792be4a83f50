// Bodies decoded to text once per run of a command that reads some twice: `wirelog doctor` reads a
// failed call's bodies for its diagnosis and again to compare it with the last call that worked,
// and compares every failure of a relay with the same working call.
import type { BodySide, Exchange } from '../model/exchange.ts';
import { bodyViewOf } from './body-view.ts';
import type { ExchangeReader, PartCache } from './reader.ts';

/** Texts kept at most: a miss reads the body again, so the bound costs time, never a wrong answer. */
const KEPT_TEXTS = 256;

/** What bodyView(reader, exchange, side).text gives, each body read and decoded once while it is among the newest kept. */
export class DecodedBodies {
  private readonly texts = new Map<string, string | null>();

  /** `parts`: the parts of split bodies already decompressed (a session's turns share them). */
  constructor(
    private readonly reader: ExchangeReader,
    private readonly parts?: PartCache,
    private readonly kept = KEPT_TEXTS,
  ) {}

  text(exchange: Exchange, side: BodySide): string | null {
    const key = `${exchange.id} ${side}`;
    if (this.texts.has(key)) return this.texts.get(key) ?? null;
    const info = side === 'request' ? exchange.requestBody : exchange.responseBody;
    const headers = side === 'request' ? exchange.request.headers : (exchange.response?.headers ?? []);
    const text = bodyViewOf(this.reader.body(exchange.id, side, this.parts), info, headers).text;
    this.texts.set(key, text);
    // Map keeps insertion order: the oldest goes first.
    if (this.texts.size > this.kept) this.texts.delete(this.texts.keys().next().value as string);
    return text;
  }
}
