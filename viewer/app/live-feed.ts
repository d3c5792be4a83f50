import { useEffect, useRef } from 'react';
import type { ExchangeSummary, ViewerStatus } from './api-client.ts';
import { afterFirstPage } from './first-page.ts';
import { i18n } from './i18n.ts';

export interface LiveHandlers {
  /** Every exchange that changed since the last call, newest version of each. */
  onExchanges: (summaries: ExchangeSummary[]) => void;
  onCleared: () => void;
  /** Retention deleted old exchanges: the list should be fetched again. */
  onPruned: () => void;
  onHello: (status: ViewerStatus) => void;
  /** Something in the status changed (storage failing or working again). */
  onStatus: (status: ViewerStatus) => void;
}

// After the stream breaks (wirelog restarted, the machine slept), reconnect after this long,
// doubling up to the last: the browser's own retry waits 3 s each time, and gives up for good
// after any answer that is not the event stream (an error page while wirelog restarts), which
// left a tab showing a list that no longer moved.
const RECONNECT_MS = [250, 500, 1000, 2000, 4000];

/**
 * Follows /api/live, reconnecting by itself when the stream breaks; each connection starts with
 * a hello, after which the list is fetched again (onHello), so what changed while it was broken
 * is caught up. Updates are applied once per animation frame, however many arrive: a busy
 * stream must not make the list re-render per event.
 */
export function useLiveFeed(handlers: LiveHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    let pending = new Map<number, ExchangeSummary>();
    let frame = 0;
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const flush = () => {
      frame = 0;
      const batch = [...pending.values()];
      pending = new Map();
      if (batch.length) ref.current.onExchanges(batch);
    };
    const connect = () => {
      // Summaries come in the viewer's language (their titles are rendered by the server).
      const live = new EventSource(`/api/live?lang=${encodeURIComponent(i18n.language)}`);
      source = live;
      live.addEventListener('exchange', (e) => {
        const summary = JSON.parse((e as MessageEvent<string>).data) as ExchangeSummary;
        pending.set(summary.id, summary);
        frame ||= requestAnimationFrame(flush);
      });
      live.addEventListener('cleared', () => {
        pending = new Map();
        ref.current.onCleared();
      });
      live.addEventListener('pruned', () => ref.current.onPruned());
      live.addEventListener('status', (e) =>
        ref.current.onStatus(JSON.parse((e as MessageEvent<string>).data) as ViewerStatus),
      );
      live.addEventListener('hello', (e) => {
        failures = 0;
        ref.current.onHello(JSON.parse((e as MessageEvent<string>).data) as ViewerStatus);
      });
      live.addEventListener('error', () => {
        // Ours to retry, sooner than the browser would and also where it would stop.
        live.close();
        if (source !== live) return;
        source = null;
        retry = setTimeout(connect, RECONNECT_MS[Math.min(failures++, RECONNECT_MS.length - 1)]);
      });
    };
    // Another language: a new stream in it, whose hello fetches the list again in it too.
    const relanguage = () => {
      clearTimeout(retry);
      source?.close();
      connect();
    };
    // Once the list's first page is shown (first-page.ts): the server answers one request at a time, and the hello's status is slow at scale.
    let stopped = false;
    void afterFirstPage().then(() => {
      if (!stopped && source === null) connect();
    });
    i18n.on('languageChanged', relanguage);
    return () => {
      stopped = true;
      i18n.off('languageChanged', relanguage);
      clearTimeout(retry);
      source?.close();
      source = null;
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);
}
