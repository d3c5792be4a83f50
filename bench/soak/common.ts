// What the soak's processes share: the records each side writes (one JSON line per exchange),
// the mix's shape, and small statistics. Every count the soak reports comes from these records
// (what the upstream sent, what the clients got), never from wirelog's own figures.
import fs from 'node:fs';

/** One exchange as the fake upstream served it: written when its answer ended or broke. */
export interface UpstreamRecord {
  id: string;
  kind: string;
  status: number;
  /** Request body bytes received (as on the wire). */
  requestBytes: number;
  /** SSE events written (a WebSocket: messages sent). */
  events: number;
  /** Response body bytes written, as on the wire (compressed when the answer was). */
  bytes: number;
  /** WebSocket: messages received from the client. */
  wsReceived?: number;
  gzip?: boolean;
  /** The upstream reset the connection on purpose (the planned 2%). */
  reset?: boolean;
  /** The client went away before the answer ended. */
  clientGone?: boolean;
  endedAt: number;
}

/** Why a client's exchange did not end as the direct upstream would have ended it. */
export type Planned = 'abort' | 'reset';

/** One exchange as a load generator's client saw it. */
export interface ClientRecord {
  id: string;
  kind: 'codex' | 'chat' | 'ws' | 'small' | 'download' | 'idle' | 'probe';
  startedAt: number;
  endedAt: number;
  status: number | null;
  /** Null when the exchange went as planned (a planned abort or reset included). */
  cause: string | null;
  planned?: Planned;
  /** A planned fault: what the client saw of it (a socket error, a 502…). */
  plannedOutcome?: string;
  /** SSE events (a WebSocket: messages received) the client got, and how many the answer has. */
  events: number;
  expectedEvents?: number;
  /** WebSocket: messages the client sent. */
  wsSent?: number;
  /** Response body bytes as they came off the wire (before any gunzip). */
  bytes: number;
  requestBytes: number;
  gzip?: boolean;
  /** Idle keep-alive connections: how long the connection had been idle before this request. */
  idleMs?: number;
  /** Idle keep-alive connections: the server closed it while idle, this long after the last response. */
  closedIdleAfterMs?: number;
}

/** The load generators' settings: one process per role, all given the same JSON. */
export interface LoadConfig {
  role: 'codex' | 'ws' | 'small';
  /** proxy: through wirelog's proxy port (CONNECT); direct: straight to the upstream. */
  mode: 'proxy' | 'direct';
  proxyUrl?: string;
  /** PEM file the client trusts: wirelog's CA (proxy) or the upstream's certificate (direct). */
  caFile: string;
  upstreamPort: number;
  /** Epoch ms after which no new work starts. */
  endAt: number;
  scale: number;
  /** Longest idle of a kept-alive connection before it is reused. */
  maxIdleMs: number;
  /** Seconds between 20 MB downloads. */
  downloadEverySec: number;
  out: string;
  tag: string;
}

/** The mix at --scale 1, as the issue ran it. */
export const MIX = {
  codexLanes: 12,
  chatLanes: 4,
  wsLanes: 4,
  smallPerSec: 60,
  idleConnections: 8,
  codexEvents: 200,
  chatEvents: 60,
  wsEvents: 200,
  requestKb: 40,
  downloadMb: 20,
  gzipShare: 0.15,
  abortShare: 0.02,
  resetShare: 0.02,
};

/** Appends JSON lines to a file synchronously: nothing is lost when the process is killed. */
export class JsonLines {
  private fd: number;
  constructor(file: string) {
    this.fd = fs.openSync(file, 'a');
  }
  write(value: unknown): void {
    fs.writeSync(this.fd, `${JSON.stringify(value)}\n`);
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

export function readJsonLines<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as T];
      } catch {
        return []; // a line cut by a kill
      }
    });
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Least-squares slope of y over x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A short name for an error: its code, else its message's first words. */
export function causeOf(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const message = (e?.message ?? String(err)).replace(/\d+/g, 'N').replace(/\s+/g, ' ').trim().slice(0, 60);
  return code ? `${code}${code.startsWith('UND_ERR') ? ` (${message})` : ''}` : message;
}
