import { useEffect, useState } from 'react';
import type { BodyComparison, HeaderDifference } from '../../../model/compare.ts';
import { fetchComparison, type Comparison } from '../api.ts';

interface Props {
  a: number;
  /** An exchange id, or "working": the newest model call to a's host that worked. */
  b: number | 'working';
  onOpen: (id: number) => void;
}

function Headers({ title, differences }: { title: string; differences: HeaderDifference[] }) {
  if (differences.length === 0) return <p className="muted">{title}: the same.</p>;
  return (
    <table className="compare-table">
      <caption>{title}</caption>
      <tbody>
        {differences.map((d) => (
          <tr key={d.name} className={d.change}>
            <th className="mono">{d.name}</th>
            <td className="mono">{d.a ?? '—'}</td>
            <td className="mono">{d.b ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function show(value: unknown): string {
  return value === undefined ? '—' : JSON.stringify(value).slice(0, 300);
}

function Body({ title, body }: { title: string; body: BodyComparison }) {
  if (body.kind === 'none') return <p className="muted">{title}: none on either side.</p>;
  if (body.kind === 'text') return <p>{title}: {body.same ? 'the same' : `different (${body.aSize} and ${body.bSize} characters)`}.</p>;
  if (body.kind === 'bytes')
    return (
      <p data-testid="compared-as-bytes">
        {title}: {body.same ? 'the same bytes' : 'different'} ({body.aSize} and {body.bSize} bytes). <span className="muted">{body.why}</span>
      </p>
    );
  if (body.same) return <p className="muted">{title}: the same JSON.</p>;
  return (
    <table className="compare-table" data-testid={`${title.toLowerCase().replace(/ /g, '-')}-diff`}>
      <caption>
        {title}
        {body.truncated && ' (first differences only)'}
      </caption>
      <tbody>
        {body.differences.map((d) => (
          <tr key={d.path} className={d.change}>
            <th className="mono">{d.path}</th>
            <td className="mono">{show(d.a)}</td>
            <td className="mono">{show(d.b)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Two exchanges side by side: only what differs, a on the left, b on the right. */
export function CompareView({ a, b, onOpen }: Props) {
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setComparison(null);
    setError(null);
    fetchComparison(a, b).then(setComparison, (err: Error) => setError(err.message));
  }, [a, b]);
  if (error) return <div className="banner warn">{error}</div>;
  if (!comparison) return <div className="muted">comparing…</div>;
  const c = comparison;
  return (
    <div className="compare" data-testid="compare">
      <div className="compare-head">
        <button type="button" className="link" onClick={() => onOpen(c.a)}>
          #{c.a}
        </button>{' '}
        compared with{' '}
        <button type="button" className="link" onClick={() => onOpen(c.b)}>
          #{c.b}
        </button>
      </div>
      <table className="compare-table">
        <tbody>
          <tr className={c.request.same ? '' : 'changed'}>
            <th>request</th>
            <td className="mono">{c.request.a}</td>
            <td className="mono">{c.request.b}</td>
          </tr>
          <tr className={c.response.same ? '' : 'changed'}>
            <th>status</th>
            <td>{c.response.a ?? 'none'}</td>
            <td>{c.response.b ?? 'none'}</td>
          </tr>
          {c.secrets.map((s) => (
            <tr key={s.name} className={s.verdict === 'same key' ? '' : 'changed'} data-testid="secret-verdict">
              <th className="mono">{s.name}</th>
              <td colSpan={2}>{s.verdict}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Headers title="Request headers" differences={c.requestHeaders} />
      <Body title="Request body" body={c.requestBody} />
      <Headers title="Response headers" differences={c.responseHeaders} />
      <Body title="Response body" body={c.responseBody} />
    </div>
  );
}
