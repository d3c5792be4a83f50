import { useCallback, useEffect, useState } from 'react';

/** The selection lives in the path (/exchanges/42) so a link or a reload opens the same exchange. */
function idFromLocation(): number | null {
  const m = /^\/exchanges\/(\d+)/.exec(window.location.pathname);
  return m ? Number(m[1]) : null;
}

/** The open exchange, kept in the URL and in the browser's history (Back closes or goes to the previous one). */
export function useSelectedId(): [number | null, (id: number | null) => void] {
  const [selectedId, setSelectedId] = useState<number | null>(idFromLocation);
  const select = useCallback((id: number | null) => {
    setSelectedId(id);
    const path = id === null ? '/' : `/exchanges/${id}`;
    if (window.location.pathname !== path) window.history.pushState(null, '', `${path}${window.location.search}`);
  }, []);
  useEffect(() => {
    const onPop = () => setSelectedId(idFromLocation());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return [selectedId, select];
}
