import { useState } from 'react';
import { exchangeUrl } from '../../../model/exchange.ts';
import { harUrl, type ExchangeDetail } from '../api.ts';
import { formatDuration, formatSize } from '../format.ts';
import { CopySnippet } from './CopySnippet.tsx';
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
export function ExchangeOverview({ detail, version, keepSecrets, onOpen, onResend, onEdit, onCompare, compareInput }: Props) {
  const ex = detail.exchange;
  return (
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
      {ex.damaged && ex.damaged.length > 0 && (
        <div className="banner error" data-testid="damage-notes">
          <strong>Damaged</strong>: its row in the database does not hold what wirelog wrote (another program, a disk error); shown with what could be
          read, not diagnosed, compared, replayed or exported:
          <ul>
            {ex.damaged.map((note, i) => (
              <li key={i}>damaged: {note}</li>
            ))}
          </ul>
        </div>
      )}
      {ex.notes && ex.notes.length > 0 && (
        <div className="banner warn" data-testid="cut-notes">
          <strong>Stored cut</strong>: larger than wirelog stores of a field (what was sent was not changed):
          <ul>
            {ex.notes.map((note, i) => (
              <li key={i}>{note}</li>
            ))}
          </ul>
        </div>
      )}
      <Facts detail={detail} />
      <Waterfall timings={ex.timings} />
      <div className="actions">
        <CopySnippet id={ex.id} version={version} modelCall={detail.modelCall !== null} keepSecrets={keepSecrets} />
        <a className="button small" href={harUrl({ id: ex.id })} download>
          Download HAR
        </a>
        {ex.request.method !== 'CONNECT' && (
          <>
            <button type="button" className="button small" onClick={onResend} title={detail.missingSecrets.length ? `needs ${detail.missingSecrets.join(', ')} typed in: wirelog no longer holds it` : 'send it again, unchanged'}>
              Resend
            </button>
            <button type="button" className="button small" onClick={onEdit}>
              Edit and resend
            </button>
          </>
        )}
      </div>
      <CompareActions canCompareWithWorking={ex.call !== null} onCompare={onCompare} input={compareInput} />
    </div>
  );
}

function Facts({ detail }: { detail: ExchangeDetail }) {
  const ex = detail.exchange;
  const url = exchangeUrl(ex.request);
  return (
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
  );
}

function CompareActions({ canCompareWithWorking, onCompare, input }: { canCompareWithWorking: boolean; onCompare: (with_: number | 'working') => void; input: Props['compareInput'] }) {
  const [otherId, setOtherId] = input;
  return (
    <div className="actions">
      {canCompareWithWorking && (
        <button type="button" className="button small" onClick={() => onCompare('working')}>
          Compare with the last call that worked to this host
        </button>
      )}
      <form
        className="compare-with"
        onSubmit={(e) => {
          e.preventDefault();
          if (/^\d+$/.test(otherId.trim())) onCompare(Number(otherId.trim()));
        }}
      >
        <input aria-label="compare with exchange" placeholder="#id" value={otherId} onChange={(e) => setOtherId(e.target.value.replace('#', ''))} size={6} />
        <button type="submit" className="button small">
          Compare
        </button>
      </form>
    </div>
  );
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
