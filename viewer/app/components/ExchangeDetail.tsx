import { useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { exchangeUrl } from '../../../model/exchange.ts';
import { replayExchange, type ExchangeDetail } from '../api-client.ts';
import { statusClass } from '../format.ts';
import { useExchangeDetail } from '../hooks/useExchangeDetail.ts';
import { BodyPanel } from './BodyPanel.tsx';
import { CompareView } from './CompareView.tsx';
import { ExchangeOverview } from './ExchangeOverview.tsx';
import { HeadersTable } from './HeadersTable.tsx';
import { ModelCallView } from './ModelCallView.tsx';
import { ReplayEditor } from './ReplayEditor.tsx';
import { StreamView } from './StreamView.tsx';
import { OpenSessionLink } from './SessionView.tsx';

type Tab = 'overview' | 'call' | 'request' | 'response' | 'stream' | 'compare';
type CompareWith = number | 'working';

interface Props {
  id: number;
  /** Changes whenever the live feed reports this exchange changed. */
  version: number;
  keepSecrets: boolean;
  onClose: () => void;
  onShowThread: (threadKey: string) => void;
  /** Opens another exchange (a replay, the one compared with). */
  onOpen: (id: number) => void;
}

/** The open tab outlives the exchange shown (moving through the list keeps the Model call tab open). */
export function ExchangeDetailPane(props: Props) {
  const [tab, setTab] = useState<Tab>('overview');
  return <OneExchange key={props.id} {...props} tab={tab} setTab={setTab} />;
}

/** One exchange's pane: keyed by its id, so what belongs to it (the editor, a comparison) starts afresh with the next. */
function OneExchange({
  id,
  version,
  keepSecrets,
  onClose,
  onShowThread,
  onOpen,
  tab,
  setTab,
}: Props & { tab: Tab; setTab: (tab: Tab) => void }) {
  const { t } = useTranslation();
  const { detail, error } = useExchangeDetail(id, version);
  const [editing, setEditing] = useState(false);
  const [compareWith, setCompareWith] = useState<CompareWith | null>(null);
  const compareInput = useState('');

  if (error) return <div className="detail-error">{t('detail.error', { id, error })}</div>;
  if (!detail) return <div className="detail-loading">{t('detail.loading')}</div>;
  const ex = detail.exchange;
  const tabs = tabsOf(detail, compareWith !== null);
  const shownTab = tabs.includes(tab) ? tab : 'overview';
  const compare = (b: CompareWith) => {
    setCompareWith(b);
    setTab('compare');
  };
  const resend = async () => {
    const result = await replayExchange(ex.id, {});
    if (result.id !== undefined) onOpen(result.id);
    else {
      setEditing(true);
      setTab('overview');
    }
  };

  return (
    <div className="detail">
      <DetailHead detail={detail} onClose={onClose} />
      {/* The tabs are a tablist; the link to the session beside them is not a tab, so it sits outside it. */}
      <nav className="tabs">
        <div className="tab-list" role="tablist">
          {tabs.map((each) => (
            <button
              key={each}
              type="button"
              role="tab"
              aria-selected={shownTab === each}
              className={shownTab === each ? 'tab active' : 'tab'}
              onClick={() => setTab(each)}
            >
              {tabLabel(each, detail, compareWith, t)}
            </button>
          ))}
        </div>
        {ex.call?.threadKey && <OpenSessionLink threadKey={ex.call.threadKey} />}
      </nav>
      <div className="tab-body">
        {shownTab === 'overview' &&
          (editing ? (
            <ReplayEditor detail={detail} onSent={onOpen} onCancel={() => setEditing(false)} />
          ) : (
            <ExchangeOverview
              detail={detail}
              version={version}
              keepSecrets={keepSecrets}
              onOpen={onOpen}
              onResend={() => void resend()}
              onEdit={() => setEditing(true)}
              onCompare={compare}
              compareInput={compareInput}
            />
          ))}
        {shownTab === 'call' && detail.modelCall && (
          <ModelCallView
            call={detail.modelCall}
            onRawEvents={ex.streamKind ? () => setTab('stream') : null}
            threadSize={detail.threadSize}
            onShowThread={ex.call?.threadKey ? () => onShowThread(ex.call!.threadKey!) : null}
          />
        )}
        {shownTab === 'request' && (
          <>
            <HeadersTable headers={ex.request.headers} />
            <BodyPanel body={detail.requestBody} label={t('detail.requestBody')} notes={ex.notes} />
          </>
        )}
        {shownTab === 'response' && (
          <>
            {ex.response ? (
              <HeadersTable headers={ex.response.headers} />
            ) : (
              <p className="muted">
                {ex.error ? (
                  <Trans
                    t={t}
                    i18nKey="detail.noResponseError"
                    components={{ error: <span className="recorded-error">{ex.error}</span> }}
                  />
                ) : (
                  t('detail.noResponse')
                )}
              </p>
            )}
            <BodyPanel body={detail.responseBody} label={t('detail.responseBody')} notes={ex.notes} />
            {ex.response?.trailers && (
              <section aria-label={t('detail.trailersLabel')}>
                <h4>{t('detail.trailers')}</h4>
                <HeadersTable headers={ex.response.trailers} />
              </section>
            )}
          </>
        )}
        {shownTab === 'stream' && <StreamView exchange={ex} version={version} />}
        {shownTab === 'compare' && compareWith !== null && <CompareView a={ex.id} b={compareWith} onOpen={onOpen} />}
      </div>
    </div>
  );
}

function DetailHead({ detail, onClose }: { detail: ExchangeDetail; onClose: () => void }) {
  const { t } = useTranslation();
  const ex = detail.exchange;
  const url = exchangeUrl(ex.request);
  return (
    <div className="detail-head">
      <span className="method" data-captured>
        {ex.request.method}
      </span>
      <span className={`status ${statusClass(ex.response?.status ?? null)}`}>{ex.response?.status ?? '—'}</span>
      <span className="url mono" title={url} data-captured>
        {url}
      </span>
      <button type="button" className="button small" onClick={onClose} aria-label={t('detail.close')}>
        ✕
      </button>
    </div>
  );
}

/** The tabs an exchange has: a model call's, a stream's, a comparison's only when there is one. */
function tabsOf(detail: ExchangeDetail, comparing: boolean): Tab[] {
  const tabs: Tab[] = ['overview'];
  if (detail.modelCall) tabs.push('call');
  tabs.push('request', 'response');
  if (detail.exchange.streamKind) tabs.push('stream');
  if (comparing) tabs.push('compare');
  return tabs;
}

function tabLabel(tab: Tab, detail: ExchangeDetail, compareWith: CompareWith | null, t: TFunction): string {
  const ex = detail.exchange;
  switch (tab) {
    case 'stream':
      return ex.streamKind === 'sse'
        ? t('detail.tab.stream', { count: ex.eventCount })
        : t('detail.tab.websocket', { count: ex.eventCount });
    case 'call':
      return t('detail.tab.call');
    case 'compare':
      return compareWith === 'working'
        ? t('detail.tab.compareWorking')
        : t('detail.tab.compareWith', { id: compareWith });
    case 'overview':
      return t('detail.tab.overview');
    case 'request':
      return t('detail.tab.request');
    case 'response':
      return t('detail.tab.response');
  }
}
