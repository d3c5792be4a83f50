import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { fetchSnippet, type SnippetTarget } from '../api-client.ts';

// The names of the languages and libraries: the same in every language.
const LABELS: Record<SnippetTarget, string> = {
  curl: 'cURL',
  fetch: 'JavaScript fetch',
  python: 'Python requests',
  openai: 'openai SDK (Python)',
};

interface Props {
  id: number;
  version: number;
  modelCall: boolean;
  keepSecrets: boolean;
}

/** Copies the request as code (written and quoted by wirelog on the server); masked keys become variables to set. */
export function CopySnippet({ id, version, modelCall, keepSecrets }: Props) {
  const { t } = useTranslation();
  const [target, setTarget] = useState<SnippetTarget>('curl');
  const [code, setCode] = useState<{ text: string } | { error: string } | null>(null);
  const [copied, setCopied] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is not read, it says when to fetch again: a new version of the exchange (the live feed saw it change) can have a new request to quote.
  useEffect(() => {
    let cancelled = false;
    // Fetched ahead of the click: the clipboard wants the text while the click still counts.
    fetchSnippet(id, target).then(
      (text) => !cancelled && setCode({ text }),
      (err: Error) => !cancelled && setCode({ error: err.message }),
    );
    return () => {
      cancelled = true;
    };
  }, [id, target, version]);
  const targets = (Object.keys(LABELS) as SnippetTarget[]).filter((target) => target !== 'openai' || modelCall);
  return (
    <span className="copy-snippet">
      <select
        aria-label={t('snippet.copyAsLabel')}
        value={target}
        onChange={(e) => setTarget(e.target.value as SnippetTarget)}
      >
        {targets.map((option) => (
          <option key={option} value={option} translate="no">
            {LABELS[option]}
          </option>
        ))}
      </select>
      <button
        type="button"
        className="button small"
        disabled={!code || 'error' in code}
        title={code && 'error' in code ? code.error : keepSecrets ? '' : t('snippet.maskedHint')}
        onClick={() => {
          if (!code || !('text' in code)) return;
          void navigator.clipboard?.writeText(code.text).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1200);
          });
        }}
      >
        {copied ? t('snippet.copied') : t('snippet.copyAs', { target: LABELS[target] })}
      </button>
    </span>
  );
}
