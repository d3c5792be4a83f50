import { useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import { exchangeUrl } from '../../../model/exchange.ts';
import {
  hostPort,
  originOf,
  originText,
  sameOrigin,
  secretMayGo,
  urlOrigin,
  type Origin,
} from '../../../replay/secret-origin.ts';
import { replayExchange, type ExchangeDetail, type Header, type WithheldSecret } from '../api-client.ts';

interface Props {
  detail: ExchangeDetail;
  onSent: (id: number) => void;
  onCancel: () => void;
}

/** Why a body typed as JSON does not parse (the parser's words), or null when it does (or is not JSON). */
export function jsonProblem(text: string, contentType: string): string | null {
  if (!/json/i.test(contentType) || text.trim() === '') return null;
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Where the typed URL goes, when it is a URL of another origin than the exchange's (null otherwise). */
function otherOrigin(captured: Origin, url: string): Origin | null {
  try {
    const target = urlOrigin(new URL(url));
    return sameOrigin(captured, target) ? null : target;
  } catch {
    return null;
  }
}

/**
 * The keys captured for the exchange's origin go elsewhere only once the user ticks a box that
 * names the host and port they would go to; from HTTPS to plain HTTP they never go, said as such.
 * The server applies the same rule (replay/secret-origin.ts): this only asks.
 */
function SecretsConsent({
  captured,
  target,
  confirmed,
  onConfirm,
}: {
  captured: Origin;
  target: Origin;
  confirmed: boolean;
  onConfirm: (yes: boolean) => void;
}) {
  const { t } = useTranslation();
  if (!secretMayGo(captured, target, { host: target.host, port: target.port }).send) {
    return (
      <div className="banner warn" data-testid="secrets-downgrade">
        {t('replay.downgrade', { captured: originText(captured), target: originText(target) })}
      </div>
    );
  }
  return (
    <label className="banner warn" data-testid="secrets-consent">
      <input type="checkbox" checked={confirmed} onChange={(e) => onConfirm(e.target.checked)} />{' '}
      <Trans
        t={t}
        i18nKey="replay.consent"
        values={{ captured: originText(captured) }}
        components={{ target: <strong>{hostPort(target)}</strong> }}
      />
    </label>
  );
}

/** Edit and resend: method, URL, headers as rows, body as text; a secret no longer in memory is marked and asked for. */
export function ReplayEditor({ detail, onSent, onCancel }: Props) {
  const { t } = useTranslation();
  const ex = detail.exchange;
  const [method, setMethod] = useState(ex.request.method);
  const [url, setUrl] = useState(exchangeUrl(ex.request));
  const [headers, setHeaders] = useState<Header[]>(
    ex.request.headers.filter(([n]) => !/^(host|content-length|connection|transfer-encoding)$/i.test(n)),
  );
  const originalBody = detail.requestBody.text;
  const [body, setBody] = useState(originalBody ?? '');
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState<string[]>(detail.missingSecrets);
  const [sending, setSending] = useState(false);
  // The host:port the user confirmed; typing another URL takes the confirmation back.
  const [confirmedFor, setConfirmedFor] = useState<string | null>(null);
  const [sent, setSent] = useState<{ id: number; withheld: WithheldSecret[] } | null>(null);
  const captured = originOf(ex.request.scheme, ex.request.host, ex.request.port);
  const target = otherOrigin(captured, url);
  const confirmed = target !== null && confirmedFor === hostPort(target);
  const contentType = headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '';
  const problem = jsonProblem(body, contentType);
  const stillMasked = (name: string, value: string) =>
    missing.some((m) => m.toLowerCase() === name.toLowerCase()) && value.includes('****');

  const setRow = (i: number, row: Header) => setHeaders(headers.map((h, j) => (j === i ? row : h)));
  const send = async () => {
    setSending(true);
    setError(null);
    const bodyChanged = originalBody === null ? body !== '' : body !== originalBody;
    const result = await replayExchange(ex.id, {
      method,
      url,
      headers,
      ...(bodyChanged ? { body } : {}),
      ...(confirmed && target ? { sendSecretsTo: hostPort(target) } : {}),
    });
    setSending(false);
    // Sent without some keys: say which and why before moving on, so that the answer is understood.
    if (result.id !== undefined && result.withheld.length) return setSent(result);
    if (result.id !== undefined) return onSent(result.id);
    setError(result.error);
    if (result.missingSecrets.length) setMissing(result.missingSecrets);
  };

  return (
    <form
      className="replay-editor"
      data-testid="replay-editor"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <div className="replay-line">
        <input
          aria-label={t('replay.method')}
          className="mono method-input"
          value={method}
          onChange={(e) => setMethod(e.target.value.toUpperCase())}
        />
        <input
          aria-label={t('replay.url')}
          className="mono url-input"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
      </div>
      <table className="header-editor">
        <tbody>
          {headers.map(([name, value], i) => (
            <tr key={i} className={stillMasked(name, value) ? 'needs-value' : ''}>
              <td>
                <input
                  aria-label={t('replay.headerName', { n: i + 1 })}
                  className="mono"
                  value={name}
                  onChange={(e) => setRow(i, [e.target.value, value])}
                />
              </td>
              <td>
                <input
                  aria-label={t('replay.headerValue', { n: i + 1 })}
                  className="mono"
                  value={value}
                  placeholder={stillMasked(name, value) ? t('replay.pasteValue') : ''}
                  onChange={(e) => setRow(i, [name, e.target.value])}
                  onFocus={(e) => stillMasked(name, value) && e.target.select()}
                />
                {stillMasked(name, value) && <div className="hint">{t('replay.notInMemory')}</div>}
              </td>
              <td>
                <button
                  type="button"
                  className="button small"
                  aria-label={t('replay.removeHeader', { name })}
                  onClick={() => setHeaders(headers.filter((_, j) => j !== i))}
                >
                  ✕
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" className="button small" onClick={() => setHeaders([...headers, ['', '']])}>
        {t('replay.addHeader')}
      </button>
      <textarea
        aria-label={t('replay.body')}
        data-captured
        className="mono body-editor"
        value={body}
        onChange={(e) => setBody(e.target.value)}
        rows={12}
        spellCheck={false}
      />
      {target && (
        <SecretsConsent
          captured={captured}
          target={target}
          confirmed={confirmed}
          onConfirm={(yes) => setConfirmedFor(yes ? hostPort(target) : null)}
        />
      )}
      {sent && (
        <div className="banner warn" data-testid="secrets-withheld">
          <Trans
            t={t}
            i18nKey="replay.sentWithout"
            components={{
              link: (
                <button type="button" className="link" onClick={() => onSent(sent.id)}>
                  #{sent.id}
                </button>
              ),
            }}
          />
          {/* replay/ writes why each key stayed behind (replay/secret-origin.ts): shown as it came. */}
          <ul data-captured>
            {sent.withheld.map((w) => (
              <li key={`${w.name} ${w.capturedFor}`}>{w.message}</li>
            ))}
          </ul>
        </div>
      )}
      {problem && (
        <div className="banner warn" data-testid="json-problem">
          {t('replay.notJson')} <span data-captured>{problem}</span>
        </div>
      )}
      {error && (
        <div className="banner error" data-testid="replay-error" data-captured>
          {error}
        </div>
      )}
      <div className="actions">
        <button type="submit" className="button" disabled={sending || problem !== null}>
          {sending ? t('replay.sending') : t('replay.send')}
        </button>
        <button type="button" className="button small" onClick={onCancel}>
          {t('replay.cancel')}
        </button>
      </div>
    </form>
  );
}
