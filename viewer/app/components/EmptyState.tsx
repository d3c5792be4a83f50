import type { ViewerStatus } from '../api.ts';

/** What a first run shows: how to send traffic through this very instance. */
export function EmptyState({ status }: { status: ViewerStatus | null }) {
  const proxy = status?.proxyUrl ?? 'http://127.0.0.1:8899';
  const gateway = status?.gatewayBase ?? 'http://127.0.0.1:8899';
  return (
    <div className="empty" data-testid="empty-state">
      <h2>No traffic captured yet</h2>
      <p>Send a program's requests through wirelog, and they appear here as they happen.</p>
      <h3>Start a program through wirelog</h3>
      <pre>wirelog run -- codex exec "hello"</pre>
      <h3>Or set the variables in a shell, then start anything from it</h3>
      <pre>eval "$(wirelog env)"</pre>
      <h3>Or change only the app's base URL: the upstream goes after wirelog's address</h3>
      <pre>{`${gateway}/https/openrouter.ai/api/v1`}</pre>
      <p className="muted">
        Codex (CLI and VS Code read <code>~/.codex/config.toml</code>): <code>base_url = "{gateway}/https/YOUR-RELAY/v1"</code>.
        Cherry Studio: API address <code>{gateway}/https/YOUR-RELAY/</code> (it appends <code>v1/chat/completions</code>).
        No proxy setting and no CA needed; <code>wirelog url BASE_URL</code> prints it for any base URL.
      </p>
      <h3>Or point an app's proxy setting here</h3>
      <pre>{proxy}</pre>
      <p>
        and trust the wirelog CA: <code>{status?.caPath ?? '~/.wirelog/ca/certs/ca.pem'}</code>
        {status && (
          <>
            <br />
            SHA-256 <code className="fingerprint">{status.caFingerprint}</code>
          </>
        )}
      </p>
      {status && (
        <p className="muted">
          Captures are kept up to {status.retention.maxDbMb} MB{status.retention.maxAgeDays !== null ? ` and ${status.retention.maxAgeDays} days` : ''} (--max-db-mb, --max-age-days); the oldest go first.
        </p>
      )}
    </div>
  );
}
