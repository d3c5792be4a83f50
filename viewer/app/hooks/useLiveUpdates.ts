import { useState } from 'react';
import type { ViewerStatus } from '../api.ts';
import { useLiveFeed } from '../live.ts';
import type { ExchangeList } from './useExchangeList.ts';

/**
 * The live feed applied to the list and the status; returns, per exchange, a version bumped
 * each time the feed says it changed, so an open detail refreshes.
 */
export function useLiveUpdates(list: ExchangeList, select: (id: number | null) => void, setStatus: (status: ViewerStatus) => void): Record<number, number> {
  const [versions, setVersions] = useState<Record<number, number>>({});
  useLiveFeed({
    onExchanges: (summaries) => {
      list.applyLive(summaries);
      setVersions((v) => {
        const bumped = { ...v };
        for (const s of summaries) bumped[s.id] = (bumped[s.id] ?? 0) + 1;
        return bumped;
      });
    },
    onCleared: () => {
      list.clear();
      select(null);
    },
    onPruned: list.reload,
    onStatus: setStatus,
    onHello: (hello) => {
      setStatus(hello);
      // Subscribed from here on: fetch the list again to cover what changed before.
      list.reload();
    },
  });
  return versions;
}
