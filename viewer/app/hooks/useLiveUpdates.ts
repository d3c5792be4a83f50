import { useMemo, useState } from 'react';
import type { ViewerStatus } from '../api-client.ts';
import { bumpVersions } from '../list-merge.ts';
import { useLiveFeed } from '../live-feed.ts';
import type { ExchangeList } from './useExchangeList.ts';

/**
 * The live feed applied to the list and the status; returns, per exchange, a version bumped
 * each time the feed says it changed, so an open detail refreshes.
 */
export function useLiveUpdates(
  list: ExchangeList,
  select: (id: number | null) => void,
  setStatus: (status: ViewerStatus) => void,
): Record<number, number> {
  const [versions, setVersions] = useState<ReadonlyMap<number, number>>(() => new Map());
  useLiveFeed({
    onExchanges: (summaries) => {
      list.applyLive(summaries);
      setVersions((v) =>
        bumpVersions(
          v,
          summaries.map((s) => s.id),
        ),
      );
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
  return useMemo(() => Object.fromEntries(versions), [versions]);
}
