import { useEffect, useRef, useState } from 'react';
import { exchangeUrl } from '../../../model/exchange.ts';
import { fetchExchange, harUrl, type ExchangeDetail } from '../api.ts';
import { curlCommand } from '../curl.ts';
import { formatDuration, formatSize, statusClass } from '../format.ts';
import { BodyPanel } from './BodyPanel.tsx';
import { HeadersTable } from './HeadersTable.tsx';
import { ModelCallView } from './ModelCallView.tsx';
import { StreamView } from './StreamView.tsx';
import { Waterfall } from './Waterfall.tsx';

type Tab = 'overview' | 'call' | 'request' | 'response' | 'stream';

const REFRESH_MS = 500;

interface Props {
  id: number;
  /** Changes whenever the live feed reports this exchange changed. */
  version: number;
  keepSecrets: boolean;
  onClose: () => void;
  onShowThread: (threadKey: string) => void;
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

export function ExchangeDetailPane({ id, version, keepSecrets, onClose, onShowThread }: Props) {
  const [detail, setDetail] = useState<ExchangeDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>('overview');

  useEffect(() => {
    setDetail(null);
    setError(null);
  }, [id]);

  const lastFetch = useRef({ id: -1, at: 0 });
  useEffect(() => {
    let cancelled = false;
    // While a stream is open its summary changes many times a second; its bodies are
    // re-read at most once a second (the Stream tab follows events on its own).
    const since = lastFetch.current.id === id ? Date.now() - lastFetch.current.at : Infinity;
    const timer = setTimeout(
      () => {
        lastFetch.current = { id, at: Date.now() };
        fetchExchange(id).then(
          (d) => !cancelled && setDetail(d),
          (err: Error) => !cancelled && setError(err.message),
        );
      },
      Math.max(0, REFRESH_MS - since),
    );
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [id, version]);

  if (error) return <div className="detail-error">Exchange {id}: {error}</div>;
  if (!detail) return <div className="detail-loading">loading…</div>;
  const { exchange: ex } = detail;
  const url = exchangeUrl(ex.request);
  const tabs: Tab[] = ['overview', ...(detail.modelCall ? (['call'] as const) : []), 'request', 'response', ...(ex.streamKind ? (['stream'] as const) : [])];
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
                : t[0].toUpperCase() + t.slice(1)}
          </button>
        ))}
      </nav>
      <div className="tab-body">
        {shownTab === 'overview' && (
          <div className="overview">
            {detail.diagnoses.map((d) => (
              <div key={d.rule} className={`diagnosis ${d.severity}`} data-testid="diagnosis">
                <div className="diagnosis-summary">{d.summary}</div>
                <div className="diagnosis-fix">
                  <strong>Fix:</strong> {d.fix}
                </div>
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
              </dd>
            </dl>
            <Waterfall timings={ex.timings} />
            <div className="actions">
              <CopyButton text={curlCommand(detail)} label={keepSecrets ? 'Copy as cURL' : 'Copy as cURL (secrets masked)'} />
              <a className="button small" href={harUrl({ id: ex.id })} download>
                Download HAR
              </a>
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
      </div>
    </div>
  );
}
