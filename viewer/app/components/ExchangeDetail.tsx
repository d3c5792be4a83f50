import { useEffect, useRef, useState } from 'react';
import { exchangeUrl } from '../../../model/exchange.ts';
import { fetchExchange, harUrl, replayExchange, type ExchangeDetail } from '../api.ts';
import { CompareView } from './CompareView.tsx';
import { ReplayEditor } from './ReplayEditor.tsx';
import { TryFix } from './TryFix.tsx';
import { CopySnippet } from './CopySnippet.tsx';
import { formatDuration, formatSize, statusClass } from '../format.ts';
import { BodyPanel } from './BodyPanel.tsx';
import { HeadersTable } from './HeadersTable.tsx';
import { ModelCallView } from './ModelCallView.tsx';
import { StreamView } from './StreamView.tsx';
import { Waterfall } from './Waterfall.tsx';

type Tab = 'overview' | 'call' | 'request' | 'response' | 'stream' | 'compare';

const REFRESH_MS = 500;

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

function Links({ detail, onOpen }: { detail: ExchangeDetail; onOpen: (id: number) => void }) {
  const replayOf = detail.exchange.request.replayOf;
  if (replayOf === undefined && detail.replays.length === 0) return null;
  return (
    <div className="replay-links" data-testid="replay-links">
      {replayOf !== undefined && (
        <span>
          sent by wirelog: replay of{' '}
          <button type="button" className="link" onClick={() => onOpen(replayOf)}>
            #{replayOf}
          </button>
        </span>
      )}
      {detail.replays.length > 0 && (
        <span>
          {' '}
          replayed as{' '}
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

function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="button small"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1200);
        });
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

/** The open tab outlives the exchange shown (moving through the list keeps the Model call tab open). */
export function ExchangeDetailPane(props: Props) {
  const [tab, setTab] = useState<Tab>('overview');
  return <OneExchange key={props.id} {...props} tab={tab} setTab={setTab} />;
}

/** An exchange's detail, read again (at most every REFRESH_MS) whenever the live feed says it changed. */
function useExchangeDetail(id: number, version: number): { detail: ExchangeDetail | null; error: string | null } {
  const [detail, setDetail] = useState<ExchangeDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const lastFetch = useRef(0);
  useEffect(() => {
    let cancelled = false;
    // While a stream is open its summary changes many times a second; its bodies are
    // re-read at most once a second (the Stream tab follows events on its own).
    const timer = setTimeout(
      () => {
        lastFetch.current = Date.now();
        fetchExchange(id).then(
          (d) => !cancelled && setDetail(d),
          (err: Error) => !cancelled && setError(err.message),
        );
      },
      Math.max(0, REFRESH_MS - (Date.now() - lastFetch.current)),
    );
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [id, version]);
  return { detail, error };
}

/** One exchange's pane: keyed by its id, so what belongs to it (the editor, a comparison) starts afresh with the next. */
function OneExchange({ id, version, keepSecrets, onClose, onShowThread, onOpen, tab, setTab }: Props & { tab: Tab; setTab: (tab: Tab) => void }) {
  const { detail, error } = useExchangeDetail(id, version);
  const [editing, setEditing] = useState(false);
  const [compareWith, setCompareWith] = useState<number | 'working' | null>(null);
  const [otherId, setOtherId] = useState('');

  if (error) return <div className="detail-error">Exchange {id}: {error}</div>;
  if (!detail) return <div className="detail-loading">loading…</div>;
  const { exchange: ex } = detail;
  const url = exchangeUrl(ex.request);
  const tabs: Tab[] = ['overview', ...(detail.modelCall ? (['call'] as const) : []), 'request', 'response', ...(ex.streamKind ? (['stream'] as const) : []), ...(compareWith !== null ? (['compare'] as const) : [])];
  const compare = (b: number | 'working') => {
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
  const shownTab = tabs.includes(tab) ? tab : 'overview';

  return (
    <div className="detail">
      <div className="detail-head">
        <span className="method">{ex.request.method}</span>
        <span className={`status ${statusClass(ex.response?.status ?? null)}`}>{ex.response?.status ?? '—'}</span>
        <span className="url mono" title={url}>
          {url}
        </span>
        <button type="button" className="button small" onClick={onClose} aria-label="Close detail">
          ✕
        </button>
      </div>
      <nav className="tabs" role="tablist">
        {tabs.map((t) => (
          <button key={t} type="button" role="tab" aria-selected={shownTab === t} className={shownTab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)}>
            {t === 'stream'
              ? ex.streamKind === 'sse'
                ? `Stream (${ex.eventCount} events)`
                : `WebSocket (${ex.eventCount} messages)`
              : t === 'call'
                ? 'Model call'
                : t === 'compare'
                  ? `Compare${compareWith === 'working' ? ' (last working)' : ` with #${compareWith}`}`
                  : t[0].toUpperCase() + t.slice(1)}
          </button>
        ))}
      </nav>
      <div className="tab-body">
        {shownTab === 'overview' && editing && <ReplayEditor detail={detail} onSent={onOpen} onCancel={() => setEditing(false)} />}
        {shownTab === 'overview' && !editing && (
          <div className="overview">
            <Links detail={detail} onOpen={onOpen} />
            {detail.diagnoses.map((d) => (
              <div key={d.rule} className={`diagnosis ${d.severity}`} data-testid="diagnosis">
                <div className="diagnosis-summary">{d.summary}</div>
                <div className="diagnosis-fix">
                  <strong>Fix:</strong> {d.fix}
                </div>
                {d.action && <TryFix detail={detail} diagnosis={d} onOpen={onOpen} />}
              </div>
            ))}
            {ex.error && (
              <div className={`banner ${ex.state === 'complete' ? 'warn' : 'error'}`}>
                <strong>{ex.state.replace('_', ' ')}</strong>: {ex.error}
              </div>
            )}
            <dl className="facts">
              <dt>URL</dt>
              <dd className="mono">
                {url} <CopyButton text={url} label="Copy URL" />
              </dd>
              <dt>Status</dt>
              <dd>
                {ex.response ? `${ex.response.status} ${ex.response.statusText}` : 'no response'} · {ex.state}
              </dd>
              <dt>Started</dt>
              <dd>{new Date(ex.request.startedAt).toISOString()}</dd>
              <dt>Duration</dt>
              <dd>{formatDuration(ex.timings.end) || 'still open'}</dd>
              <dt>Request</dt>
              <dd>
                HTTP/{ex.request.httpVersion || '?'} · {formatSize(ex.requestBody.size)}
                {ex.requestBody.encoding && ` · ${ex.requestBody.encoding}`}
              </dd>
              <dt>Response</dt>
              <dd>
                {formatSize(ex.responseBody.size)}
                {ex.responseBody.encoding && ` · ${ex.responseBody.encoding}`}
                {ex.responseBody.truncated && ` · stored ${formatSize(ex.responseBody.storedSize)} (truncated)`}
              </dd>
              <dt>Client</dt>
              <dd className="mono">
                {ex.request.clientAddress}
                {ex.request.via === 'gateway' && <span className="badge" title="sent to wirelog's gateway URL form (/https/HOST/…), not through a proxy setting"> · through the gateway</span>}
                {ex.request.imported && <span className="badge" data-testid="imported"> · imported from {ex.request.imported}</span>}
              </dd>
            </dl>
            <Waterfall timings={ex.timings} />
            <div className="actions">
              <CopySnippet id={ex.id} version={version} modelCall={detail.modelCall !== null} keepSecrets={keepSecrets} />
              <a className="button small" href={harUrl({ id: ex.id })} download>
                Download HAR
              </a>
              {ex.request.method !== 'CONNECT' && (
                <>
                  <button type="button" className="button small" onClick={() => void resend()} title={detail.missingSecrets.length ? `needs ${detail.missingSecrets.join(', ')} typed in: wirelog no longer holds it` : 'send it again, unchanged'}>
                    Resend
                  </button>
                  <button type="button" className="button small" onClick={() => setEditing(true)}>
                    Edit and resend
                  </button>
                </>
              )}
            </div>
            <div className="actions">
              {ex.call && (
                <button type="button" className="button small" onClick={() => compare('working')}>
                  Compare with the last call that worked to this host
                </button>
              )}
              <form
                className="compare-with"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (/^\d+$/.test(otherId.trim())) compare(Number(otherId.trim()));
                }}
              >
                <input aria-label="compare with exchange" placeholder="#id" value={otherId} onChange={(e) => setOtherId(e.target.value.replace('#', ''))} size={6} />
                <button type="submit" className="button small">
                  Compare
                </button>
              </form>
            </div>
          </div>
        )}
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
            <BodyPanel body={detail.requestBody} label="Request body" />
          </>
        )}
        {shownTab === 'response' && (
          <>
            {ex.response ? <HeadersTable headers={ex.response.headers} /> : <p className="muted">No response{ex.error ? `: ${ex.error}` : ''}.</p>}
            <BodyPanel body={detail.responseBody} label="Response body" />
          </>
        )}
        {shownTab === 'stream' && <StreamView exchange={ex} version={version} />}
        {shownTab === 'compare' && compareWith !== null && <CompareView a={ex.id} b={compareWith} onOpen={onOpen} />}
      </div>
    </div>
  );
}
