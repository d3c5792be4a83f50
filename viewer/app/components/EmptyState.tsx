import { Trans, useTranslation } from 'react-i18next';
import type { ViewerStatus } from '../api-client.ts';

/**
 * What a first run shows: how to send traffic through this very instance. Commands, config lines
 * and addresses are never translated (translate="no"); only the words around them are.
 */
export function EmptyState({ status }: { status: ViewerStatus | null }) {
  const { t } = useTranslation();
  const proxy = status?.proxyUrl ?? 'http://127.0.0.1:8899';
  const gateway = status?.gatewayBase ?? 'http://127.0.0.1:8899';
  const retention = status && { mb: status.retention.maxDbMb, days: status.retention.maxAgeDays };
  return (
    <div className="empty" data-testid="empty-state">
      <h2>{t('empty.title')}</h2>
      <p>{t('empty.lead')}</p>
      <h3>{t('empty.runTitle')}</h3>
      <pre translate="no">wirelog run -- codex exec "hello"</pre>
      <h3>{t('empty.envTitle')}</h3>
      <pre translate="no">eval "$(wirelog env)"</pre>
      <h3>{t('empty.gatewayTitle')}</h3>
      <pre translate="no">{`${gateway}/https/openrouter.ai/api/v1`}</pre>
      <p className="muted">
        <Trans
          t={t}
          i18nKey="empty.gatewayHint"
          components={{
            file: <code translate="no">~/.codex/config.toml</code>,
            baseUrl: <code translate="no">{`base_url = "${gateway}/https/YOUR-RELAY/v1"`}</code>,
            address: <code translate="no">{`${gateway}/https/YOUR-RELAY/`}</code>,
            appended: <code translate="no">v1/chat/completions</code>,
            command: <code translate="no">wirelog url BASE_URL</code>,
          }}
        />
      </p>
      <h3>{t('empty.proxyTitle')}</h3>
      <pre translate="no">{proxy}</pre>
      <p>
        {t('empty.trustCa')} <code translate="no">{status?.caPath ?? '~/.wirelog/ca/certs/ca.pem'}</code>
        {status && (
          <>
            <br />
            {t('empty.fingerprint')}{' '}
            <code className="fingerprint" translate="no">
              {status.caFingerprint}
            </code>
          </>
        )}
      </p>
      {retention && (
        <p className="muted">
          {retention.days !== null ? t('empty.retentionDays', retention) : t('empty.retention', retention)}
        </p>
      )}
    </div>
  );
}
