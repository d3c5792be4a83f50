import { useEffect, useRef } from 'react';
import type { ExchangeSummary, ViewerStatus } from './api.ts';

export interface LiveHandlers {
  onExchange: (summary: ExchangeSummary) => void;
  onCleared: () => void;
  onHello: (status: ViewerStatus) => void;
}

/** Follows /api/live; EventSource reconnects by itself if wirelog restarts. */
export function useLiveFeed(handlers: LiveHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    const source = new EventSource('/api/live');
    source.addEventListener('exchange', (e) => ref.current.onExchange(JSON.parse((e as MessageEvent<string>).data) as ExchangeSummary));
    source.addEventListener('cleared', () => ref.current.onCleared());
    source.addEventListener('hello', (e) => ref.current.onHello(JSON.parse((e as MessageEvent<string>).data) as ViewerStatus));
    return () => source.close();
  }, []);
}
