// GET /api/status: what wirelog is doing now (where it listens, storage, retention, the search
// index), as the viewer's top bar and banners show it; /api/live pushes the same on each change.
import { Hono } from 'hono';
import type { IndexBuildProgress } from '../../db/index-build.ts';
import type { CutBodies, DamagedRows, ExchangeReader, SearchProgress } from '../../db/reader.ts';
import type { BehindFigures } from '../../db/storage-news.ts';
import type { StorageLosses } from '../../db/writer.ts';

export interface ViewerStatus {
  version: string;
  proxyUrl: string;
  caPath: string;
  caFingerprint: string;
  keepSecrets: boolean;
  /** The oldest exchanges are deleted past these limits. */
  retention: { maxDbMb: number; maxAgeDays: number | null };
  /** The current storage failure, or null while captures are stored. */
  storageError: string | null;
  /** What storage left out to bound memory (while behind or failing), and what a clear discarded. */
  storageLosses: StorageLosses;
  /** How far behind storage is (ended exchanges not stored yet, and the oldest one's wait); null while it keeps up. */
  storageBehind: BehindFigures | null;
  /** While storage fails or recovers: exchanges with something waiting to be stored. */
  storageWaiting: number;
  /** Where gateway URLs start (http://127.0.0.1:8899; /t/TOKEN beyond loopback, the token not shown). */
  gatewayBase: string;
  /** Client connections open now, and the cap past which new ones are refused (--max-connections). */
  connections: { open: number; max: number };
  /** OTLP export: where spans go, the current failure, spans left out; null when off. */
  otlp: { url: string; error: string | null; dropped: number } | null;
  /** Rows the reads so far found damaged (db/stored-values.ts): how many, the first ids; filled in by the API. */
  damagedRows?: DamagedRows;
  /** While storage has cut bodies since start: the exchanges cut (filled in by the API). */
  cutBodies?: CutBodies;
  /** While the search index is being built (an upgrade, a restart after a kill): how far; search finds only what is indexed. */
  searchIndex?: SearchProgress | null;
  /** While the list's filter indexes an upgrade added are built (db/index-build.ts): how many exist of how many; filters answer meanwhile, more slowly. */
  indexBuild?: IndexBuildProgress | null;
}

/** The status as answered: the process's own, with what the reads found (damaged rows, cut bodies, the search index's progress). */
export function statusNow(reader: ExchangeReader, status: () => ViewerStatus): ViewerStatus {
  const now = status();
  const cut = now.storageLosses.bodies > 0 || now.storageLosses.bytes > 0;
  return {
    ...now,
    damagedRows: reader.damagedRows(),
    ...(cut ? { cutBodies: reader.cutBodies() } : {}),
    searchIndex: reader.searchProgress(),
    indexBuild: reader.indexBuild(),
  };
}

export function createStatusApi(reader: ExchangeReader, status: () => ViewerStatus): Hono {
  return new Hono().get('/', (c) => c.json(statusNow(reader, status)));
}
