import { useEffect, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { BodyComparison, HeaderDifference, SecretComparison } from '../../../model/exchange-diff.ts';
import { fetchComparison, type Comparison } from '../api-client.ts';

interface Props {
  a: number;
  /** An exchange id, or "working": the newest model call to a's host that worked. */
  b: number | 'working';
  onOpen: (id: number) => void;
}

function Headers({ title, differences }: { title: string; differences: HeaderDifference[] }) {
  const { t } = useTranslation();
  if (differences.length === 0) return <p className="muted">{t('compare.same', { title })}</p>;
  return (
    <table className="compare-table">
      <caption>{title}</caption>
      <tbody>
        {differences.map((d) => (
          <tr key={d.name} className={d.change}>
            <th className="mono" data-captured>
              {d.name}
            </th>
            <td className="mono" data-captured>
              {d.a ?? '—'}
            </td>
            <td className="mono" data-captured>
              {d.b ?? '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function show(value: unknown): string {
  return value === undefined ? '—' : JSON.stringify(value).slice(0, 300);
}

/** `part` names the table of differences for tests, whatever the language of its title. */
function Body({ part, title, body }: { part: 'request-body' | 'response-body'; title: string; body: BodyComparison }) {
  const { t } = useTranslation();
  if (body.kind === 'none') return <p className="muted">{t('compare.none', { title })}</p>;
  if (body.kind === 'text')
    return (
      <p>
        {body.same ? t('compare.same', { title }) : t('compare.textDifferent', { title, a: body.aSize, b: body.bSize })}
      </p>
    );
  if (body.kind === 'bytes')
    return (
      <p data-testid="compared-as-bytes">
        {body.same
          ? t('compare.bytesSame', { title, a: body.aSize, b: body.bSize })
          : t('compare.bytesDifferent', { title, a: body.aSize, b: body.bSize })}{' '}
        <span className="muted record-note">{body.why}</span>
      </p>
    );
  if (body.same) return <p className="muted">{t('compare.sameJson', { title })}</p>;
  return (
    <table className="compare-table" data-testid={`${part}-diff`}>
      <caption>
        {title}
        {body.truncated && t('compare.firstOnly')}
      </caption>
      <tbody>
        {body.differences.map((d) => (
          <tr key={d.path} className={d.change}>
            <th className="mono" data-captured>
              {d.path}
            </th>
            <td className="mono" data-captured>
              {show(d.a)}
            </td>
            <td className="mono" data-captured>
              {show(d.b)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A key's verdict (model/exchange-diff.ts says it in English) in the viewer's language. */
function verdictLabel(verdict: SecretComparison['verdict'], t: (key: string) => string): string {
  switch (verdict) {
    case 'same key':
      return t('compare.verdict.sameKey');
    case 'different key':
      return t('compare.verdict.differentKey');
    case 'no key in a':
      return t('compare.verdict.noKeyInA');
    case 'no key in b':
      return t('compare.verdict.noKeyInB');
  }
}

/** Two exchanges side by side: only what differs, a on the left, b on the right. */
export function CompareView({ a, b, onOpen }: Props) {
  const { t } = useTranslation();
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setComparison(null);
    setError(null);
    fetchComparison(a, b).then(setComparison, (err: Error) => setError(err.message));
  }, [a, b]);
  if (error) return <div className="banner warn">{error}</div>;
  if (!comparison) return <div className="muted">{t('compare.comparing')}</div>;
  const c = comparison;
  return (
    <div className="compare" data-testid="compare">
      <div className="compare-head">
        <Trans
          t={t}
          i18nKey="compare.head"
          components={{
            a: (
              <button type="button" className="link" onClick={() => onOpen(c.a)}>
                #{c.a}
              </button>
            ),
            b: (
              <button type="button" className="link" onClick={() => onOpen(c.b)}>
                #{c.b}
              </button>
            ),
          }}
        />
      </div>
      <table className="compare-table">
        <tbody>
          <tr className={c.request.same ? '' : 'changed'}>
            <th>{t('compare.request')}</th>
            <td className="mono" data-captured>
              {c.request.a}
            </td>
            <td className="mono" data-captured>
              {c.request.b}
            </td>
          </tr>
          <tr className={c.response.same ? '' : 'changed'}>
            <th>{t('compare.status')}</th>
            <td>{c.response.a ?? t('compare.noStatus')}</td>
            <td>{c.response.b ?? t('compare.noStatus')}</td>
          </tr>
          {c.secrets.map((s) => (
            <tr key={s.name} className={s.verdict === 'same key' ? '' : 'changed'} data-testid="secret-verdict">
              <th className="mono" data-captured>
                {s.name}
              </th>
              <td colSpan={2}>{verdictLabel(s.verdict, t)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div data-testid="request-headers">
        <Headers title={t('compare.requestHeaders')} differences={c.requestHeaders} />
      </div>
      <div data-testid="request-body">
        <Body part="request-body" title={t('compare.requestBody')} body={c.requestBody} />
      </div>
      <div data-testid="response-headers">
        <Headers title={t('compare.responseHeaders')} differences={c.responseHeaders} />
      </div>
      <div data-testid="response-body">
        <Body part="response-body" title={t('compare.responseBody')} body={c.responseBody} />
      </div>
    </div>
  );
}
