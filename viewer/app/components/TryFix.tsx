import { useEffect, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import {
  fetchExchange,
  replayExchange,
  type Diagnosis,
  type ExchangeDetail,
  type WithheldSecret,
} from '../api-client.ts';
import { stateLabel } from '../format.ts';
import { CopyButton } from './CopyButton.tsx';

const POLL_MS = 250;
const GIVE_UP_MS = 300_000;

interface Props {
  detail: ExchangeDetail;
  diagnosis: Diagnosis;
  onOpen: (id: number) => void;
}

function firstWords(d: ExchangeDetail): string {
  const text = d.modelCall?.answer.text || d.modelCall?.answer.refusal || d.responseBody.text || d.exchange.error || '';
  return text.trim().split('\n')[0].slice(0, 160);
}

/** Waits for a replay to end (every wait has a bound), reading it as it goes. */
function useEnded(id: number | null): ExchangeDetail | null {
  const [detail, setDetail] = useState<ExchangeDetail | null>(null);
  useEffect(() => {
    setDetail(null);
    if (id === null) return;
    let stop = false;
    const started = Date.now();
    const poll = async () => {
      while (!stop && Date.now() - started < GIVE_UP_MS) {
        const d = await fetchExchange(id).catch(() => null);
        if (d && d.exchange.state !== 'pending' && d.exchange.state !== 'streaming') return !stop && setDetail(d);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    void poll();
    return () => {
      stop = true;
    };
  }, [id]);
  return detail;
}

/** "Try this fix": replays the call with the diagnosis's fix applied and says, in place, whether it worked. */
export function TryFix({ detail, diagnosis, onOpen }: Props) {
  const { t } = useTranslation();
  const [replayId, setReplayId] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [needs, setNeeds] = useState<string | null>(null);
  const [pasted, setPasted] = useState('');
  const [busy, setBusy] = useState(false);
  const [withheld, setWithheld] = useState<WithheldSecret[]>([]);
  const result = useEnded(replayId);
  // A key left out that the user may send there: the host:port a button names (a downgrade has none).
  const allowWith = withheld.find((w) => w.allowWith !== null)?.allowWith ?? null;

  const attempt = async (sendSecretsTo?: string) => {
    setBusy(true);
    setError(null);
    setReplayId(null);
    const headers = needs
      ? [
          ...detail.exchange.request.headers.filter(([n]) => n.toLowerCase() !== needs.toLowerCase()),
          [needs, pasted] as [string, string],
        ]
      : undefined;
    const answer = await replayExchange(detail.exchange.id, {
      fix: true,
      ...(headers ? { headers } : {}),
      ...(sendSecretsTo ? { sendSecretsTo } : {}),
    });
    setBusy(false);
    if (answer.id !== undefined) {
      setWithheld(answer.withheld);
      return setReplayId(answer.id);
    }
    setError(answer.error);
    if (answer.missingSecrets.length) setNeeds(answer.missingSecrets[0]);
  };

  const status = result?.exchange.response?.status ?? null;
  // A 200 is not enough when the finding is about the answer (cut at its output limit again): the same rule must not fire.
  const worked =
    status !== null &&
    status >= 200 &&
    status < 300 &&
    result?.exchange.state === 'complete' &&
    !result.diagnoses.some((d) => d.rule === diagnosis.rule);
  return (
    <div className="try-fix" data-testid="try-fix">
      {needs && replayId === null && (
        <label className="paste-key">
          {needs}:{' '}
          <input
            aria-label={t('tryFix.valueFor', { name: needs })}
            className="mono"
            value={pasted}
            placeholder={needs.toLowerCase() === 'authorization' ? 'Bearer sk-…' : t('tryFix.theKey')}
            onChange={(e) => setPasted(e.target.value)}
          />
        </label>
      )}
      {replayId === null && (
        <button
          type="button"
          className="button small"
          disabled={busy || (needs !== null && pasted.trim() === '')}
          onClick={() => void attempt()}
        >
          {busy ? t('tryFix.trying') : t('tryFix.try')}
        </button>
      )}
      {/* The replay API's own answer (wirelog's words, English for now): shown as it came. */}
      {error && (
        <div className="banner warn" data-captured>
          {error}
        </div>
      )}
      {replayId !== null && withheld.length > 0 && (
        <div className="banner warn" data-testid="fix-withheld">
          {t('tryFix.sentWithout')}
          <ul data-captured>
            {withheld.map((w) => (
              <li key={`${w.name} ${w.capturedFor}`}>{w.message}</li>
            ))}
          </ul>
          {allowWith && (
            <button type="button" className="button small" disabled={busy} onClick={() => void attempt(allowWith)}>
              {t('tryFix.sendKeys', { target: allowWith })}
            </button>
          )}
        </div>
      )}
      {replayId !== null && !result && <div className="muted">{t('tryFix.waiting', { id: replayId })}</div>}
      {result && (
        <div className={`verdict ${worked ? 'worked' : 'failed'}`} data-testid="fix-verdict">
          <div>
            <button type="button" className="link" onClick={() => onOpen(result.exchange.id)}>
              #{result.exchange.id}
            </button>{' '}
            {worked ? t('tryFix.worked') : t('tryFix.failing')} {status ?? stateLabel(result.exchange.state, t)}{' '}
            {firstWords(result) && <span data-captured>· {firstWords(result)}</span>}
          </div>
          {/* In the viewer's language: the detail API renders diagnoses in the language it is asked for. */}
          {!worked && result.diagnoses[0] && <div>{result.diagnoses[0].summary}</div>}
          {worked && result.clientConfig?.codex && (
            <>
              <div>
                <Trans
                  t={t}
                  i18nKey="tryFix.codexIntro"
                  components={{ file: <code translate="no">~/.codex/config.toml</code> }}
                />
              </div>
              <div className="config-block">
                <pre className="mono" data-testid="codex-block" translate="no">
                  {result.clientConfig.codex.toml}
                </pre>
                <CopyButton
                  text={result.clientConfig.codex.toml}
                  label={t('viewerTools.copyToml')}
                  className="button small config-copy"
                  testId="copy-codex"
                />
              </div>
              {/* llm/codex-provider-block.ts writes these notes (English for now). */}
              {result.clientConfig.codex.notes.map((n) => (
                <div key={n} className="muted" data-captured>
                  {n}
                </div>
              ))}
            </>
          )}
          {worked && result.clientConfig?.cherryStudio && (
            <div data-testid="cherry-settings">
              <Trans
                t={t}
                i18nKey="tryFix.cherry"
                values={{ type: result.clientConfig.cherryStudio.providerType }}
                components={{ address: <code translate="no">{result.clientConfig.cherryStudio.apiAddress}</code> }}
              />{' '}
              <CopyButton
                text={result.clientConfig.cherryStudio.apiAddress}
                label={t('viewerTools.copyAddress')}
                testId="copy-cherry"
              />
            </div>
          )}
        </div>
      )}
    </div>
  );
}
