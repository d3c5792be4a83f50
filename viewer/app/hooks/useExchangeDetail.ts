import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { fetchExchange, type ExchangeDetail } from '../api-client.ts';

const REFRESH_MS = 500;

/** An exchange's detail, read again (at most every REFRESH_MS) whenever the live feed says it changed. */
export function useExchangeDetail(
  id: number,
  version: number,
): { detail: ExchangeDetail | null; error: string | null } {
  const [detail, setDetail] = useState<ExchangeDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const lastFetch = useRef(0);
  // Diagnoses come in the viewer's language: read again when it changes.
  const { i18n } = useTranslation();
  const language = i18n.language;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is not read, it says when to read the exchange again: the live feed bumps it when the exchange changed.
  useEffect(() => {
    let cancelled = false;
    // While a stream is open its summary changes many times a second; its bodies are
    // re-read at most every REFRESH_MS (the Stream tab follows events on its own).
    const timer = setTimeout(
      () => {
        lastFetch.current = Date.now();
        fetchExchange(id, language).then(
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
  }, [id, version, language]);
  return { detail, error };
}
