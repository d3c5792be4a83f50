import { useEffect, useRef } from 'react';
import type { ExchangeSummary, ViewerStatus } from './api.ts';

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

/**
 * Follows /api/live (EventSource reconnects by itself if wirelog restarts). Updates are
 * applied once per animation frame, however many arrive: a busy stream must not make the
 * list re-render per event.
 */
export function useLiveFeed(handlers: LiveHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    let pending = new Map<number, ExchangeSummary>();
    let frame = 0;
    const flush = () => {
      frame = 0;
      const batch = [...pending.values()];
      pending = new Map();
      if (batch.length) ref.current.onExchanges(batch);
    };
    const source = new EventSource('/api/live');
    source.addEventListener('exchange', (e) => {
      const summary = JSON.parse((e as MessageEvent<string>).data) as ExchangeSummary;
      pending.set(summary.id, summary);
      frame ||= requestAnimationFrame(flush);
    });
    source.addEventListener('cleared', () => {
      pending = new Map();
      ref.current.onCleared();
    });
    source.addEventListener('pruned', () => ref.current.onPruned());
    source.addEventListener('status', (e) => ref.current.onStatus(JSON.parse((e as MessageEvent<string>).data) as ViewerStatus));
    source.addEventListener('hello', (e) => ref.current.onHello(JSON.parse((e as MessageEvent<string>).data) as ViewerStatus));
    return () => {
      source.close();
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);
}
