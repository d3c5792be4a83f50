// The write path of `wirelog import` (issue 28): a batch of whole exchanges stored in one
// transaction, each body written once in its final, packed form, then understood and put in the
// search index from the bytes and texts the batch holds (db/whole-exchange.ts, which the storage
// thread shares for an exchange that began and ended in one batch). An import has every exchange
// whole before it stores any; what is stored is the same, row for row, as capture's path leaves
// it (test/import-store.test.ts).
//
// A batch with an exchange that is not whole (never from export/har-stream.ts) goes through the
// capture path, as before.
import type { ExchangeEvent } from '../model/exchange.ts';
import { CaptureStore, type UnderstandEnded, byExchange } from './capture-store.ts';
import type { Db } from './schema.ts';
import { type Whole, type WholeFailureKind, WholeWriter, wholeOf } from './whole-exchange.ts';

/** What an import stored but could not do for an exchange: read it as a model call, index it, pack its request. */
export type ImportFailureKind = WholeFailureKind;
/** The failures of one kind: how many exchanges, the first one's id and its error. */
export interface ImportFailure {
  count: number;
  firstId: number;
  error: string;
}

export class ImportStore {
  /** For a batch that is not whole exchanges, and for understanding (the same statements as capture's). */
  readonly capture: CaptureStore;
  /**
   * Failures to understand, index or pack an exchange, by kind (the exchange stays stored, as
   * capture's indexer leaves it, with a note saying what was not done): for the import to say.
   */
  readonly failures: Partial<Record<ImportFailureKind, ImportFailure>> = {};
  private lastError: string | null = null;
  private readonly writer: WholeWriter;

  constructor(
    private readonly db: Db,
    understandEnded?: UnderstandEnded,
  ) {
    this.capture = new CaptureStore(db, understandEnded);
    this.writer = new WholeWriter(
      db,
      (exchange, bodies) => this.capture.understand(exchange, bodies),
      (kind, id, error) => this.failed(kind, id, error),
    );
  }

  /**
   * Stores one batch; returns the ids of its exchanges, in the order they began. All of it or
   * nothing: a batch the database refuses leaves no trace and is thrown.
   */
  store(events: ExchangeEvent[]): number[] {
    const wholes = wholeExchanges(events);
    if (!wholes) {
      const ids = this.capture.apply(events);
      this.capture.indexWaiting('understand');
      return ids;
    }
    const ids: number[] = [];
    this.db.transaction(() => {
      // Every row of the batch first, then each exchange understood and indexed in order: what
      // understanding reads of other rows is as it was when capture's indexer did it after the batch.
      const written = wholes.map((whole) => this.writer.write(whole));
      for (const one of written) {
        ids.push(one.exchange.id);
        this.writer.understandAndIndex(one);
      }
    })();
    return ids;
  }

  /** The last failure's words (`indexing exchange ID: ...`), or null: as capture's indexer keeps them. */
  get error(): string | null {
    return this.lastError;
  }

  /** A failure counted for the import to say (the writer noted it on the exchange). */
  private failed(kind: ImportFailureKind, id: number, error: string): void {
    this.lastError = `indexing exchange ${id}: ${error}`;
    const seen = this.failures[kind];
    if (seen) seen.count++;
    else this.failures[kind] = { count: 1, firstId: id, error };
  }
}

/** The batch as whole exchanges (each from its request to its end, nothing after), or null if one is not. */
function wholeExchanges(events: ExchangeEvent[]): Whole[] | null {
  const out: Whole[] = [];
  for (const own of byExchange(events).values()) {
    const whole = wholeOf(own);
    if (!whole) return null;
    out.push(whole);
  }
  return out;
}
