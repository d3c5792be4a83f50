import { Trans, useTranslation } from 'react-i18next';
import { exchangeUrl } from '../../../model/exchange.ts';
import { harUrl, type ExchangeDetail } from '../api-client.ts';
import { formatDuration, formatSize, stateLabel } from '../format.ts';
import { CopyButton } from './CopyButton.tsx';
import { CopySnippet } from './CopySnippet.tsx';
import { FixText } from './FixText.tsx';
import { TryFix } from './TryFix.tsx';
import { Waterfall } from './Waterfall.tsx';

interface Props {
  detail: ExchangeDetail;
  version: number;
  keepSecrets: boolean;
  /** Opens another exchange (a replay, the one compared with). */
  onOpen: (id: number) => void;
  onResend: () => void;
  onEdit: () => void;
  onCompare: (with_: number | 'working') => void;
  /** What is typed into "compare with #id": the exchange's, kept while other tabs show. */
  compareInput: [string, (value: string) => void];
}

/** The Overview tab: what went wrong and how to fix it, the facts, the timings, and what can be done with it. */
export function ExchangeOverview({
  detail,
  version,
  keepSecrets,
  onOpen,
  onResend,
  onEdit,
  onCompare,
  compareInput,
}: Props) {
  const { t } = useTranslation();
  const ex = detail.exchange;
  return (
    <div className="overview">
      <Links detail={detail} onOpen={onOpen} />
      {detail.diagnoses.map((d) => (
        <div key={d.rule} className={`diagnosis ${d.severity}`} data-testid="diagnosis" data-rule={d.rule}>
          <div className="diagnosis-summary">{d.summary}</div>
          <div className="diagnosis-fix">
            <strong>{t('overview.fix')}</strong> <FixText text={d.fix} />
          </div>
          {d.action && <TryFix detail={detail} diagnosis={d} onOpen={onOpen} />}
        </div>
      ))}
      {ex.error && (
        <div className={`banner ${ex.state === 'complete' ? 'warn' : 'error'}`}>
          <strong>{stateLabel(ex.state, t)}</strong>
          {t('overview.separator')}
          <span className="recorded-error">{ex.error}</span>
        </div>
      )}
      {ex.damaged && ex.damaged.length > 0 && (
        <div className="banner error" data-testid="damage-notes">
          <Trans t={t} i18nKey="overview.damaged" components={{ strong: <strong /> }} />
          <ul>
            {ex.damaged.map((note, i) => (
              <li key={i}>
                <Trans
                  t={t}
                  i18nKey="overview.damagedNote"
                  components={{ note: <span className="record-note">{note}</span> }}
                />
              </li>
            ))}
          </ul>
        </div>
      )}
      {ex.notes && ex.notes.length > 0 && (
        <div className="banner warn" data-testid="cut-notes">
          <Trans t={t} i18nKey="overview.storedCut" components={{ strong: <strong /> }} />
          <ul>
            {ex.notes.map((note, i) => (
              <li key={i} className="record-note">
                {note}
              </li>
            ))}
          </ul>
        </div>
      )}
      <Facts detail={detail} />
      <Waterfall timings={ex.timings} />
      <div className="actions">
        <CopySnippet id={ex.id} version={version} modelCall={detail.modelCall !== null} keepSecrets={keepSecrets} />
        <a className="button small" href={harUrl({ id: ex.id })} download>
          {t('overview.downloadHar')}
        </a>
        {ex.request.method !== 'CONNECT' && (
          <>
            <button
              type="button"
              className="button small"
              onClick={onResend}
              title={
                detail.missingSecrets.length
                  ? t('overview.needs', { names: detail.missingSecrets.join(', ') })
                  : t('overview.resendTitle')
              }
            >
              {t('overview.resend')}
            </button>
            <button type="button" className="button small" onClick={onEdit}>
              {t('overview.editResend')}
            </button>
          </>
        )}
      </div>
      <CompareActions canCompareWithWorking={ex.call !== null} onCompare={onCompare} input={compareInput} />
    </div>
  );
}

function Facts({ detail }: { detail: ExchangeDetail }) {
  const { t } = useTranslation();
  const ex = detail.exchange;
  const url = exchangeUrl(ex.request);
  return (
    <dl className="facts">
      <dt>URL</dt>
      <dd className="mono">
        <span data-captured>{url}</span> <CopyButton text={url} label={t('overview.copyUrl')} />
      </dd>
      <dt>{t('overview.facts.status')}</dt>
      <dd>
        {ex.response ? (
          <>
            {ex.response.status} <span data-captured>{ex.response.statusText}</span>
          </>
        ) : (
          t('overview.noResponse')
        )}{' '}
        · {stateLabel(ex.state, t)}
      </dd>
      <dt>{t('overview.facts.started')}</dt>
      <dd>{new Date(ex.request.startedAt).toISOString()}</dd>
      <dt>{t('overview.facts.duration')}</dt>
      <dd>{formatDuration(ex.timings.end) || t('overview.stillOpen')}</dd>
      <dt>{t('overview.facts.request')}</dt>
      <dd>
        HTTP/{ex.request.httpVersion || '?'} · {formatSize(ex.requestBody.size)}
        {ex.requestBody.encoding && <span data-captured> · {ex.requestBody.encoding}</span>}
      </dd>
      <dt>{t('overview.facts.response')}</dt>
      <dd>
        {formatSize(ex.responseBody.size)}
        {ex.responseBody.encoding && <span data-captured> · {ex.responseBody.encoding}</span>}
        {ex.responseBody.truncated && t('overview.storedTruncated', { size: formatSize(ex.responseBody.storedSize) })}
      </dd>
      <dt>{t('overview.facts.client')}</dt>
      <dd className="mono">
        <span data-captured>{ex.request.clientAddress}</span>
        {/* How the call came, as words after the address: not the list's round badge, which holds one sign. */}
        {ex.request.via === 'gateway' && (
          <span className="via-note" title={t('overview.gatewayTitle')} data-testid="via-gateway">
            {t('overview.gateway')}
          </span>
        )}
        {ex.request.imported && (
          <span className="via-note" data-testid="imported">
            <Trans
              t={t}
              i18nKey="overview.imported"
              components={{ file: <span data-captured>{ex.request.imported}</span> }}
            />
          </span>
        )}
      </dd>
    </dl>
  );
}

function CompareActions({
  canCompareWithWorking,
  onCompare,
  input,
}: {
  canCompareWithWorking: boolean;
  onCompare: (with_: number | 'working') => void;
  input: Props['compareInput'];
}) {
  const { t } = useTranslation();
  const [otherId, setOtherId] = input;
  return (
    <div className="actions">
      {canCompareWithWorking && (
        <button type="button" className="button small" onClick={() => onCompare('working')}>
          {t('overview.compareWorking')}
        </button>
      )}
      <form
        className="compare-with"
        onSubmit={(e) => {
          e.preventDefault();
          if (/^\d+$/.test(otherId.trim())) onCompare(Number(otherId.trim()));
        }}
      >
        <input
          aria-label={t('overview.compareWithLabel')}
          placeholder={t('overview.idPlaceholder')}
          value={otherId}
          onChange={(e) => setOtherId(e.target.value.replace('#', ''))}
          size={6}
        />
        <button type="submit" className="button small">
          {t('overview.compare')}
        </button>
      </form>
    </div>
  );
}

function Links({ detail, onOpen }: { detail: ExchangeDetail; onOpen: (id: number) => void }) {
  const { t } = useTranslation();
  const replayOf = detail.exchange.request.replayOf;
  if (replayOf === undefined && detail.replays.length === 0) return null;
  return (
    <div className="replay-links" data-testid="replay-links">
      {replayOf !== undefined && (
        <span>
          <Trans
            t={t}
            i18nKey="overview.replayOf"
            components={{
              link: (
                <button type="button" className="link" onClick={() => onOpen(replayOf)}>
                  #{replayOf}
                </button>
              ),
            }}
          />
        </span>
      )}
      {detail.replays.length > 0 && (
        <span>
          {' '}
          {t('overview.replayedAs')}{' '}
          {detail.replays.map((id) => (
            <button key={id} type="button" className="link" onClick={() => onOpen(id)}>
              #{id}
            </button>
          ))}
        </span>
      )}
    </div>
  );
}
