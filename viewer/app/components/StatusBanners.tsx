import type { ViewerStatus } from '../api.ts';

/** What the viewer must say above everything: capture failing or behind, export failing, what storage left out, errors, notices. */
export function StatusBanners({ status, error, notice }: { status: ViewerStatus | null; error: string | null; notice: string | null }) {
  return (
    <>
      {status?.storageError && (
        <div className="banner error" data-testid="failing-banner">
          Capture is failing: {status.storageError}
          {status.storageWaiting > 0 && <> Now {status.storageWaiting} exchange(s) wait to be stored.</>}
        </div>
      )}
      {status?.storageBehind && (
        <div className="banner warn" data-testid="lag-banner">
          Storage is behind by {status.storageBehind.exchanges} exchange(s) / {status.storageBehind.seconds} s: new rows show late. Nothing is
          lost while it catches up.
        </div>
      )}
      {status?.otlp?.error && (
        <div className="banner warn" data-testid="otlp-banner">
          OpenTelemetry export: {status.otlp.error}
        </div>
      )}
      {status && (status.storageLosses.exchanges > 0 || status.storageLosses.bytes > 0 || status.storageLosses.events > 0) && (
        <div className="banner warn" data-testid="shed-banner">
          Storage, behind or failing, left out {status.storageLosses.exchanges} whole exchange(s), {status.storageLosses.events} SSE event(s) or
          WebSocket message(s) and {status.storageLosses.bytes} byte(s) to bound memory; each exchange affected says so in its notes, and the
          traffic itself was forwarded whole.
        </div>
      )}
      {status && status.storageLosses.discarded > 0 && (
        <div className="banner warn" data-testid="discarded-banner">
          Clear all discarded {status.storageLosses.discarded} exchange(s) that were waiting to be stored: they are not stored.
        </div>
      )}
      {status && status.storageLosses.bodies > 0 && (
        <div className="banner warn" data-testid="behind-banner">
          Storage fell behind: the rest of {status.storageLosses.bodies} body(ies) was not stored (they show as truncated) rather than hold the
          traffic back; the traffic itself was forwarded whole.
        </div>
      )}
      {status?.damagedRows && status.damagedRows.count > 0 && (
        <div className="banner error" data-testid="damaged-banner">
          {status.damagedRows.count} stored exchange(s) are damaged in the database ({status.damagedRows.ids.map((id) => `#${id}`).join(', ')}
          {status.damagedRows.count > status.damagedRows.ids.length ? ', …' : ''}). {status.damagedRows.example}. They are shown with what could be read and left out of exports.
        </div>
      )}
      {error && <div className="banner error">{error}</div>}
      {notice && (
        <div className="banner" data-testid="notice">
          {notice}
        </div>
      )}
    </>
  );
}
