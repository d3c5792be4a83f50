import type { ViewerStatus } from '../api.ts';

/** What the viewer must say above everything: capture failing, export failing, what storage left out, errors, notices. */
export function StatusBanners({ status, error, notice }: { status: ViewerStatus | null; error: string | null; notice: string | null }) {
  return (
    <>
      {status?.storageError && <div className="banner error">Capture is failing: {status.storageError}</div>}
      {status?.otlp?.error && (
        <div className="banner warn" data-testid="otlp-banner">
          OpenTelemetry export: {status.otlp.error}
        </div>
      )}
      {status && (status.storageLosses.exchanges > 0 || status.storageLosses.bytes > 0) && (
        <div className="banner warn">
          While storage was failing, {status.storageLosses.exchanges} exchange(s) and {status.storageLosses.bytes} body byte(s) were left out of
          the capture to bound memory; the traffic itself was forwarded whole.
        </div>
      )}
      {status && status.storageLosses.bodies > 0 && (
        <div className="banner warn" data-testid="behind-banner">
          Storage fell behind: the rest of {status.storageLosses.bodies} body(ies) was not stored (they show as truncated) rather than hold the
          traffic back; the traffic itself was forwarded whole.
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
