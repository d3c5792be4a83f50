import { useTranslation } from 'react-i18next';
import type { Timings } from '../../../model/exchange.ts';
import { formatDuration } from '../format.ts';

/** Connect, TLS (for a new upstream connection), send, wait, first byte and transfer on one time axis. */
export function Waterfall({ timings }: { timings: Timings }) {
  const { t } = useTranslation();
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
    { name: 'first-byte', from: headers, to: first },
    { name: 'transfer', from: first, to: end },
  ];
  const label = {
    connect: t('waterfall.connect'),
    tls: t('waterfall.tls'),
    send: t('waterfall.send'),
    wait: t('waterfall.wait'),
    'first-byte': t('waterfall.firstByte'),
    transfer: t('waterfall.transfer'),
  };
  return (
    // A figure, so its name (aria-label) is read out: a plain <div> has no role to carry one.
    <figure className="waterfall" aria-label={t('waterfall.label')}>
      {phases.map((p) => (
        <div key={p.name} className="wf-row">
          <span className="wf-name">{label[p.name as keyof typeof label]}</span>
          <span className="wf-track">
            <span
              className={`wf-bar wf-${p.name}`}
              style={{ left: `${(p.from / end) * 100}%`, width: `${Math.max(0.5, ((p.to - p.from) / end) * 100)}%` }}
            />
          </span>
          <span className="wf-time">{formatDuration(p.to - p.from)}</span>
        </div>
      ))}
      {timings.retried !== undefined && (
        <p className="wf-note">{t('waterfall.retried', { time: formatDuration(timings.retried) })}</p>
      )}
    </figure>
  );
}
