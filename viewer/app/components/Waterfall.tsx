import type { Timings } from '../../../model/exchange.ts';
import { formatDuration } from '../format.ts';

/** Connect, TLS (for a new upstream connection), send, wait, first byte and transfer on one time axis. */
export function Waterfall({ timings }: { timings: Timings }) {
  const end = timings.end ?? Math.max(timings.firstByte ?? 0, timings.responseHeaders ?? 0, timings.requestSent ?? 0);
  if (!end) return null;
  const connected = timings.connected;
  const ready = timings.secured ?? connected ?? 0;
  const sent = timings.requestSent ?? ready;
  const headers = timings.responseHeaders ?? sent;
  const first = timings.firstByte ?? headers;
  const phases = [
    ...(connected !== undefined ? [{ name: 'connect', from: 0, to: connected }] : []),
    ...(timings.secured !== undefined ? [{ name: 'tls', from: connected ?? 0, to: timings.secured }] : []),
    { name: 'send', from: ready, to: sent },
    { name: 'wait', from: sent, to: headers },
    { name: 'first byte', from: headers, to: first },
    { name: 'transfer', from: first, to: end },
  ];
  return (
    <div className="waterfall" aria-label="Timings">
      {phases.map((p) => (
        <div key={p.name} className="wf-row">
          <span className="wf-name">{p.name}</span>
          <span className="wf-track">
            <span className={`wf-bar wf-${p.name.replace(' ', '-')}`} style={{ left: `${(p.from / end) * 100}%`, width: `${Math.max(0.5, ((p.to - p.from) / end) * 100)}%` }} />
          </span>
          <span className="wf-time">{formatDuration(p.to - p.from)}</span>
        </div>
      ))}
      {timings.retried !== undefined && (
        <p className="wf-note">Sent again at {formatDuration(timings.retried)} on a new connection: the upstream closed its kept-alive one as the request went out.</p>
      )}
    </div>
  );
}
