// The soak's figures, from the three independent records (what the upstream sent, what the
// clients got, what wirelog stored), through wirelog beside the same mix direct.
import type { ClientRecord, UpstreamRecord } from './common.ts';
import { percentile, slope } from './common.ts';
import type { ProbeRecord } from './probes.ts';
import type { StoredRow } from './stored.ts';

export interface PhaseData {
  name: 'direct' | 'wirelog';
  startedAt: number;
  endedAt: number;
  clients: ClientRecord[];
  upstream: UpstreamRecord[];
  stored?: Map<string, StoredRow>;
  kill?: { at: number; listeningAt: number; listeningMs: number; readyMs: number };
  probes?: ProbeRecord[];
  tabOpen?: boolean;
  /** Wirelog's resident memory: [epoch ms, MB, pid]. */
  rss?: [number, number, number][];
  cpuSeconds?: number;
  loadAverages: number[];
  consoleLines?: string[];
  settleMs?: number;
}

const round = (n: number, d = 1) => (Number.isFinite(n) ? Number(n.toFixed(d)) : null);
const pcts = (values: number[]) => ({
  n: values.length,
  p50: round(percentile(values, 50)),
  p90: round(percentile(values, 90)),
  p99: round(percentile(values, 99)),
  max: round(values.length ? Math.max(...values) : NaN),
});

function countBy<T>(items: T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

type Timing = 'before-kill' | 'within-1s-before-kill' | 'in-flight-at-kill' | 'after-kill';

function timing(r: ClientRecord, killAt: number | undefined): Timing {
  if (killAt === undefined || r.startedAt >= killAt) return 'after-kill';
  if (r.endedAt < killAt - 1000) return 'before-kill';
  if (r.endedAt < killAt) return 'within-1s-before-kill';
  return 'in-flight-at-kill';
}

/** Stored against what the client got, for the exchanges of one group. */
function losses(records: ClientRecord[], upstreamIds: Set<string>, stored: Map<string, StoredRow>) {
  const out = {
    exchanges: 0,
    exchangesLost: 0,
    sseEventsClientGot: 0,
    sseEventsLost: 0,
    sseExchangesShort: 0,
    gzipSseEventsClientGot: 0,
    gzipSseEventsLost: 0,
    gzipSseExchangesShort: 0,
    wsReceivedClientGot: 0,
    wsReceivedLost: 0,
    wsSentByClient: 0,
    wsSentLost: 0,
    wsExchangesShort: 0,
    /** Exchanges stored as complete with events or messages missing, and no note. */
    shortButComplete: 0,
    responseBytesClientGot: 0,
    responseBytesLost: 0,
    responseBytesLostMarkedTruncated: 0,
    requestBytesSent: 0,
    requestBytesLost: 0,
    requestBodiesShort: 0,
    /** Streams the client got whole that wirelog diagnosed as cut before their terminal event. */
    wrongCutDiagnosis: 0,
    /** Still pending or streaming in storage after the client had ended and storage settled. */
    neverEnded: 0,
    lostIds: [] as string[],
    shortExamples: [] as string[],
  };
  for (const r of records) {
    if (r.status === null || !upstreamIds.has(r.id)) continue; // never reached the upstream: nothing to store
    out.exchanges++;
    const s = stored.get(r.id);
    if (!s) {
      out.exchangesLost++;
      if (out.lostIds.length < 10) out.lostIds.push(r.id);
      continue;
    }
    if (s.state === 'pending' || s.state === 'streaming') out.neverEnded++;
    let short = false;
    if (r.kind === 'codex' || r.kind === 'chat') {
      const lost = Math.max(0, r.events - s.sse);
      out.sseEventsClientGot += r.events;
      out.sseEventsLost += lost;
      if (lost) out.sseExchangesShort++;
      if (r.gzip) {
        out.gzipSseEventsClientGot += r.events;
        out.gzipSseEventsLost += lost;
        if (lost) out.gzipSseExchangesShort++;
      }
      if (lost && out.shortExamples.length < 10)
        out.shortExamples.push(
          `${r.id}${r.gzip ? ' (gzip)' : ''}: client ${r.events} events, stored ${s.sse} (state ${s.state})`,
        );
      short = lost > 0;
      if (
        s.diagnosis?.startsWith('The stream stopped before its terminal event') &&
        !r.cause &&
        !r.planned &&
        r.events === r.expectedEvents
      )
        out.wrongCutDiagnosis++;
    }
    if (r.kind === 'ws') {
      const receivedLost = Math.max(0, r.events - s.wsReceive);
      const sentLost = Math.max(0, (r.wsSent ?? 0) - s.wsSend);
      out.wsReceivedClientGot += r.events;
      out.wsReceivedLost += receivedLost;
      out.wsSentByClient += r.wsSent ?? 0;
      out.wsSentLost += sentLost;
      if (receivedLost || sentLost) {
        out.wsExchangesShort++;
        if (out.shortExamples.length < 10)
          out.shortExamples.push(
            `${r.id} (WebSocket): client got ${r.events} and sent ${r.wsSent}, stored ${s.wsReceive} received and ${s.wsSend} sent (state ${s.state})`,
          );
      }
      short = receivedLost + sentLost > 0;
    } else {
      const bytesLost = Math.max(0, r.bytes - s.responseBytes);
      out.responseBytesClientGot += r.bytes;
      if (s.responseTruncated) out.responseBytesLostMarkedTruncated += bytesLost;
      else out.responseBytesLost += bytesLost;
      out.requestBytesSent += r.requestBytes;
      if (!s.requestTruncated && r.requestBytes > s.requestBytes) {
        out.requestBytesLost += r.requestBytes - s.requestBytes;
        out.requestBodiesShort++;
      }
    }
    if (short && s.state === 'complete' && !s.notes) out.shortButComplete++;
  }
  return out;
}

function clientErrors(records: ClientRecord[], window: [number, number] | null) {
  const inWindow = (r: ClientRecord) => window !== null && r.startedAt <= window[1] && r.endedAt >= window[0];
  const failed = records.filter((r) => r.cause !== null);
  return {
    exchanges: records.length,
    planned: countBy(
      records.filter((r) => r.planned),
      (r) => r.planned!,
    ),
    /** What the clients saw of the planned faults (direct: a socket error; a proxy may answer otherwise). */
    plannedSeenAs: countBy(
      records.filter((r) => r.planned && !inWindow(r)),
      (r) => `${r.planned}: ${r.plannedOutcome ?? (r.planned === 'abort' ? 'aborted by the client' : 'no error seen')}`,
    ),
    errors: failed.filter((r) => !inWindow(r)).length,
    errorsByCause: countBy(
      failed.filter((r) => !inWindow(r)),
      (r) => `${r.kind}: ${r.cause}`,
    ),
    aroundTheKill: failed.filter(inWindow).length,
    aroundTheKillByCause: countBy(failed.filter(inWindow), (r) => `${r.kind}: ${r.cause}`),
  };
}

/** Kept-alive connections: closed by the server while idle (not by the kill: those closes are left out), reuses that failed. */
function idleFigures(records: ClientRecord[], window: [number, number] | null) {
  const idle = records.filter((r) => r.kind === 'idle');
  const reuses = idle.filter((r) => r.idleMs !== undefined);
  const closedByKill = (r: ClientRecord) =>
    window !== null &&
    r.endedAt + r.closedIdleAfterMs! >= window[0] - 100 &&
    r.endedAt + r.closedIdleAfterMs! <= window[1];
  const closes = idle.flatMap((r) =>
    r.closedIdleAfterMs === undefined || closedByKill(r) ? [] : [r.closedIdleAfterMs / 1000],
  );
  return {
    requests: idle.length,
    reusesAfterIdle: reuses.length,
    reusesFailed: reuses.filter((r) => r.cause !== null).length,
    longestIdleReusedS: round(Math.max(0, ...reuses.filter((r) => r.cause === null).map((r) => r.idleMs! / 1000))),
    closedByServerWhileIdle: closes.length,
    closedAfterS: pcts(closes),
    minClosedAfterS: round(closes.length ? Math.min(...closes) : NaN),
  };
}

function rssFigures(samples: [number, number, number][], killAt: number | undefined) {
  const pids = [...new Set(samples.map((s) => s[2]))];
  const per = pids.map((pid) => {
    const mine = samples.filter((s) => s[2] === pid);
    return {
      pid,
      samples: mine.length,
      firstMb: round(mine[0][1]),
      lastMb: round(mine[mine.length - 1][1]),
      peakMb: round(Math.max(...mine.map((s) => s[1]))),
      slopeMbPerMin: round(slope(mine.map(([t, mb]) => [t / 60_000, mb])), 2),
      // A process's first minute is its warm-up (heaps, compiled code and socket buffers growing
      // to the mix's working size: 96 to 139 MB, then flat, in a 6-minute run): a slope over its
      // whole life reads that as growth. The second half's slope is what "flat" is judged by.
      slopeSecondHalfMbPerMin: round(
        slope(mine.slice(Math.floor(mine.length / 2)).map(([t, mb]) => [t / 60_000, mb])),
        2,
      ),
    };
  });
  return { processes: per, peakMb: round(Math.max(...samples.map((s) => s[1]))), killedAt: killAt };
}

function consoleFigures(lines: string[]) {
  const shapes = countBy(lines, (l) => l.replace(/\d[\d,.]*/g, 'N').slice(0, 140));
  return {
    lines: lines.length,
    topShapes: Object.entries(shapes)
      .slice(0, 8)
      .map(([shape, n]) => ({ n, shape })),
  };
}

export function figures(p: PhaseData) {
  const killAt = p.kill?.at;
  const window: [number, number] | null = p.kill ? [p.kill.at, p.kill.listeningAt + 2000] : null;
  const upstreamIds = new Set(p.upstream.map((u) => u.id));
  const small = p.clients.filter(
    (r) => r.kind === 'small' && r.cause === null && !(window && r.startedAt <= window[1] && r.endedAt >= window[0]),
  );
  const latencies = small.map((r) => (r as ClientRecord & { latencyMs: number }).latencyMs);
  const minutes = (p.endedAt - p.startedAt) / 60_000;
  const out = {
    phase: p.name,
    minutes: round(minutes, 2),
    loadAverage1m: {
      mean: round(p.loadAverages.reduce((s, v) => s + v, 0) / Math.max(1, p.loadAverages.length)),
      max: round(Math.max(0, ...p.loadAverages)),
    },
    exchangesByKind: countBy(p.clients, (r) => r.kind),
    upstream: {
      exchanges: p.upstream.length,
      sseEventsSent: p.upstream.filter((u) => u.kind !== 'ws').reduce((s, u) => s + u.events, 0),
      wsMessagesSent: p.upstream.filter((u) => u.kind === 'ws').reduce((s, u) => s + u.events, 0),
      wsMessagesReceived: p.upstream.filter((u) => u.kind === 'ws').reduce((s, u) => s + (u.wsReceived ?? 0), 0),
      bytesSent: p.upstream.reduce((s, u) => s + u.bytes, 0),
      gzipStreams: p.upstream.filter((u) => u.gzip).length,
      resetsOnPurpose: p.upstream.filter((u) => u.reset).length,
      /** Requests the upstream got more than once under one id: sent again by something between (the client never retries). */
      receivedTwice: Object.values(countBy(p.upstream, (u) => u.id)).filter((n) => n > 1).length,
    },
    clientErrors: clientErrors(p.clients, window),
    smallCallLatencyMs: {
      n: latencies.length,
      p50: round(percentile(latencies, 50)),
      p99: round(percentile(latencies, 99)),
      max: round(latencies.length ? Math.max(...latencies) : NaN),
    },
    idleKeepAlive: idleFigures(p.clients, window),
  };
  if (!p.stored) return out;
  const groups = {
    'before-kill': [] as ClientRecord[],
    'within-1s-before-kill': [] as ClientRecord[],
    'in-flight-at-kill': [] as ClientRecord[],
    'after-kill': [] as ClientRecord[],
  };
  for (const r of p.clients) groups[timing(r, killAt)].push(r);
  const normal = [...groups['before-kill'], ...groups['after-kill']];
  const beforeKill = losses(groups['before-kill'], upstreamIds, p.stored);
  const lostAges = groups['before-kill']
    .filter((r) => r.status !== null && upstreamIds.has(r.id) && !p.stored!.has(r.id))
    .map((r) => (killAt! - r.endedAt) / 1000);
  const probes = p.probes ?? [];
  const okProbes = probes.filter((r) => r.cause === null);
  return {
    ...out,
    lost: losses(normal, upstreamIds, p.stored),
    kill: p.kill && {
      restartToListeningMs: round(p.kill.listeningMs, 0),
      restartToReadyMs: round(p.kill.readyMs, 0),
      endedOver1sBeforeKill: {
        exchanges: beforeKill.exchanges,
        lost: beforeKill.exchangesLost,
        lostEndedSecondsBeforeKill: pcts(lostAges),
      },
      afterRestart: (({ exchanges, exchangesLost }) => ({ exchanges, lost: exchangesLost }))(
        losses(groups['after-kill'], upstreamIds, p.stored),
      ),
      endedWithin1sBeforeKill: (({ exchanges, exchangesLost }) => ({ exchanges, lost: exchangesLost }))(
        losses(groups['within-1s-before-kill'], upstreamIds, p.stored),
      ),
      inFlightAtKill: (({ exchanges, exchangesLost }) => ({ exchanges, lost: exchangesLost }))(
        losses(groups['in-flight-at-kill'], upstreamIds, p.stored),
      ),
    },
    storageLag: {
      probes: probes.length,
      probesFailedAtClient: probes.length - okProbes.length,
      listedS: pcts(
        okProbes.flatMap((r) => (r.listedAt === undefined ? [] : [Math.max(0, r.listedAt - r.endedAt) / 1000])),
      ),
      listedEndedS: pcts(
        okProbes.flatMap((r) => (r.endedInApiAt === undefined ? [] : [Math.max(0, r.endedInApiAt - r.endedAt) / 1000])),
      ),
      neverListedEnded: okProbes.filter((r) => r.endedInApiAt === undefined).length,
      tab: p.tabOpen
        ? {
            shownS: pcts(
              okProbes.flatMap((r) => (r.tabAt === undefined ? [] : [Math.max(0, r.tabAt - r.endedAt) / 1000])),
            ),
            neverShown: okProbes.filter((r) => r.tabAt === undefined).length,
          }
        : 'no viewer tab (no /usr/bin/chromium, or --no-browser)',
      settleAfterLoadS: round((p.settleMs ?? NaN) / 1000),
      /** The probes missing from the API or the tab, each with when it ended against the kill (s, negative: before). */
      missing: okProbes
        .filter((r) => r.endedInApiAt === undefined || (p.tabOpen && r.tabAt === undefined))
        .map((r) => ({
          n: r.n,
          endedSecondsAfterKill: killAt === undefined ? null : round((r.endedAt - killAt) / 1000),
          inApi: r.endedInApiAt !== undefined,
          inTab: r.tabAt !== undefined,
        })),
    },
    rss: p.rss?.length ? rssFigures(p.rss, killAt) : null,
    cpuCores: round((p.cpuSeconds ?? NaN) / ((p.endedAt - p.startedAt) / 1000), 2),
    console: consoleFigures(p.consoleLines ?? []),
  };
}

export type Figures = ReturnType<typeof figures>;

/** The table printed at the end: through wirelog beside direct, with the targets. */
export function table(w: Figures | null, d: Figures | null): string {
  const rows: [string, string, string, string][] = [];
  const f = (n: unknown) =>
    n === null || n === undefined ? '-' : typeof n === 'number' ? n.toLocaleString('en-US') : String(n);
  const add = (measure: string, through: unknown, direct: unknown, target = '') =>
    rows.push([measure, f(through), f(direct), target]);
  const wl = w && 'lost' in w ? w : null;
  add('minutes of load', w?.minutes, d?.minutes);
  add(
    'load average (1 min): mean / max',
    w && `${f(w.loadAverage1m.mean)} / ${f(w.loadAverage1m.max)}`,
    d && `${f(d.loadAverage1m.mean)} / ${f(d.loadAverage1m.max)}`,
  );
  add('exchanges (client side)', w?.clientErrors.exchanges, d?.clientErrors.exchanges);
  add(
    'upstream: SSE events / WS messages sent',
    w && `${f(w.upstream.sseEventsSent)} / ${f(w.upstream.wsMessagesSent)}`,
    d && `${f(d.upstream.sseEventsSent)} / ${f(d.upstream.wsMessagesSent)}`,
  );
  if (wl) {
    const l = wl.lost;
    add(
      'LOST exchanges (reached upstream, not stored; kill groups apart)',
      `${f(l.exchangesLost)} of ${f(l.exchanges)}`,
      '-',
      '0',
    );
    add(
      'LOST SSE events (client got, not stored)',
      `${f(l.sseEventsLost)} of ${f(l.sseEventsClientGot)} (${f(l.sseExchangesShort)} streams)`,
      '-',
      '0',
    );
    add(
      '  of which gzip streams',
      `${f(l.gzipSseEventsLost)} of ${f(l.gzipSseEventsClientGot)} (${f(l.gzipSseExchangesShort)} streams)`,
      '-',
      '0',
    );
    add(
      'LOST WS messages received / sent',
      `${f(l.wsReceivedLost)} of ${f(l.wsReceivedClientGot)} / ${f(l.wsSentLost)} of ${f(l.wsSentByClient)}`,
      '-',
      '0',
    );
    add(
      'LOST response body bytes (unmarked / marked truncated)',
      `${f(l.responseBytesLost)} / ${f(l.responseBytesLostMarkedTruncated)} of ${f(l.responseBytesClientGot)}`,
      '-',
      '0',
    );
    add(
      'request body bytes stored short (masking counts here)',
      `${f(l.requestBytesLost)} of ${f(l.requestBytesSent)} (${f(l.requestBodiesShort)} bodies)`,
      '-',
      'masking only',
    );
    add('short but stored complete without a note', l.shortButComplete, '-', '0');
    add('whole streams diagnosed as cut', l.wrongCutDiagnosis, '-', '0');
    add('stored still pending/streaming after settling', l.neverEnded, '-', '0');
    if (wl.kill) {
      const k = wl.kill;
      add(
        'kill: ended >1 s before, lost (age p50 s)',
        `${f(k.endedOver1sBeforeKill.lost)} of ${f(k.endedOver1sBeforeKill.exchanges)} (${f(k.endedOver1sBeforeKill.lostEndedSecondsBeforeKill.p50)})`,
        '-',
        '0',
      );
      add(
        'kill: ended within 1 s before, lost',
        `${f(k.endedWithin1sBeforeKill.lost)} of ${f(k.endedWithin1sBeforeKill.exchanges)}`,
        '-',
        'counted apart',
      );
      add(
        'kill: in flight, not stored',
        `${f(k.inFlightAtKill.lost)} of ${f(k.inFlightAtKill.exchanges)}`,
        '-',
        'counted apart',
      );
      add('restart to listening / ready ms', `${f(k.restartToListeningMs)} / ${f(k.restartToReadyMs)}`, '-', '< 2000');
    }
    const s = wl.storageLag;
    add(
      'storage lag, probe listed ended: p50 / p90 / p99 / max s',
      `${f(s.listedEndedS.p50)} / ${f(s.listedEndedS.p90)} / ${f(s.listedEndedS.p99)} / ${f(s.listedEndedS.max)} (n ${f(s.listedEndedS.n)})`,
      '-',
      'p99 < 1',
    );
    add('storage lag, probe listed (any state): p50 / p99 s', `${f(s.listedS.p50)} / ${f(s.listedS.p99)}`, '-');
    add(
      'probes never listed ended / failed at client',
      `${f(s.neverListedEnded)} / ${f(s.probesFailedAtClient)}`,
      '-',
      '0',
    );
    if (typeof s.tab !== 'string')
      add(
        'viewer tab shows probe: p50 / max s (never)',
        `${f(s.tab.shownS.p50)} / ${f(s.tab.shownS.max)} (${f(s.tab.neverShown)})`,
        '-',
      );
    else add('viewer tab', s.tab, '-');
    if (wl.rss) {
      for (const p of wl.rss.processes)
        add(
          `RSS pid ${p.pid}: first / last / peak MB, slope MB/min (whole life / second half)`,
          `${f(p.firstMb)} / ${f(p.lastMb)} / ${f(p.peakMb)}, ${f(p.slopeMbPerMin)} / ${f(p.slopeSecondHalfMbPerMin)}`,
          '-',
          'flat, peak < 130',
        );
    }
    add('wirelog CPU (cores)', wl.cpuCores, '-');
    add('wirelog console lines', wl.console.lines, '-', 'one per state change');
  }
  add('requests the upstream received twice', w?.upstream.receivedTwice, d?.upstream.receivedTwice, '0');
  add(
    'client errors outside the kill window',
    w && `${f(w.clientErrors.errors)}`,
    d && `${f(d.clientErrors.errors)}`,
    'as direct',
  );
  add('client errors around the kill', w?.clientErrors.aroundTheKill, '-');
  add(
    'small calls p50 / p99 / max ms',
    w && `${f(w.smallCallLatencyMs.p50)} / ${f(w.smallCallLatencyMs.p99)} / ${f(w.smallCallLatencyMs.max)}`,
    d && `${f(d.smallCallLatencyMs.p50)} / ${f(d.smallCallLatencyMs.p99)} / ${f(d.smallCallLatencyMs.max)}`,
  );
  const idle = (x: Figures | null) =>
    x && `${f(x.idleKeepAlive.reusesFailed)} of ${f(x.idleKeepAlive.reusesAfterIdle)}`;
  add('idle keep-alive reuses failed', idle(w), idle(d), 'as direct');
  const closed = (x: Figures | null) =>
    x &&
    `${f(x.idleKeepAlive.closedByServerWhileIdle)} (p50 ${f(x.idleKeepAlive.closedAfterS.p50)} s, min ${f(x.idleKeepAlive.minClosedAfterS)} s)`;
  add('idle connections closed by the server while idle', closed(w), closed(d), '>= 60 s');
  add('longest idle reused, s', w?.idleKeepAlive.longestIdleReusedS, d?.idleKeepAlive.longestIdleReusedS);
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(...[['measure', 'through wirelog', 'direct', 'target'], ...rows].map((r) => r[i].length)),
  );
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  const lines = [
    line(['measure', 'through wirelog', 'direct', 'target']),
    `|${widths.map((n) => '-'.repeat(n + 2)).join('|')}|`,
    ...rows.map(line),
  ];
  const causes = (title: string, x: Figures | null) => {
    if (!x) return [];
    const all = [...Object.entries(x.clientErrors.errorsByCause).map(([c, n]) => `  ${n}  ${c}`)];
    const kill = Object.entries(x.clientErrors.aroundTheKillByCause).map(([c, n]) => `  ${n}  ${c} (around the kill)`);
    const planned = Object.entries(x.clientErrors.plannedSeenAs).map(([c, n]) => `  ${n}  ${c}`);
    return [
      `\nClient errors by cause, ${title}:`,
      ...(all.length || kill.length ? [...all, ...kill] : ['  none']),
      `Planned faults as the clients saw them, ${title} (outside the kill window):`,
      ...planned,
    ];
  };
  lines.push(...causes('through wirelog', w), ...causes('direct', d));
  if (wl) {
    if (wl.lost.shortExamples.length)
      lines.push('\nExamples of exchanges stored short:', ...wl.lost.shortExamples.map((e) => `  ${e}`));
    if (wl.lost.lostIds.length) lines.push(`\nExamples of exchanges not stored: ${wl.lost.lostIds.join(', ')}`);
    lines.push(
      '\nwirelog console, most frequent line shapes:',
      ...wl.console.topShapes.map((s) => `  ${s.n}  ${s.shape}`),
    );
  }
  return lines.join('\n');
}
