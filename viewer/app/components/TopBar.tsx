import type { RefObject } from 'react';
import { harUrl, type ListFilter, type ViewerStatus } from '../api.ts';
import { FilterBar } from './FilterBar.tsx';

interface Props {
  status: ViewerStatus | null;
  filter: ListFilter;
  hosts: string[];
  models: string[];
  onFilter: (filter: ListFilter) => void;
  searchRef: RefObject<HTMLInputElement | null>;
  onImport: (file: File) => void;
  onClear: () => void;
}

/** The brand, the filters, and what applies to the whole capture: export, import, clear. */
export function TopBar({ status, filter, hosts, models, onFilter, searchRef, onImport, onClear }: Props) {
  const retention = status ? `keeps up to ${status.retention.maxDbMb} MB${status.retention.maxAgeDays !== null ? ` and ${status.retention.maxAgeDays} days` : ''}; the oldest go first` : undefined;
  return (
    <header className="topbar">
      <span className="brand" title={retention}>
        wirelog
      </span>
      <FilterBar filter={filter} hosts={hosts} models={models} onChange={onFilter} searchRef={searchRef} />
      <a className="button" href={harUrl(filter)} download>
        Export HAR
      </a>
      <label className="button" title="Chrome DevTools, Playwright, mitmproxy or wirelog HAR; or drop it on the page">
        Import HAR
        <input type="file" accept=".har,application/json" hidden data-testid="import-har" onChange={(e) => e.target.files?.[0] && onImport(e.target.files[0])} />
      </label>
      <button type="button" className="button danger" onClick={onClear}>
        Clear all
      </button>
    </header>
  );
}
