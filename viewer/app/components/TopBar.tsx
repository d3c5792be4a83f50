import { useEffect, useRef, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { LANGUAGES, isLanguage } from '../../../i18n/languages.ts';
import { harUrl, type ListFilter, type ViewerStatus } from '../api-client.ts';
import { afterFirstPageIdle } from '../first-page.ts';
import { chooseLanguage, loadCatalogues } from '../i18n.ts';
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
  const { t, i18n } = useTranslation();
  const fileInput = useRef<HTMLInputElement>(null);
  // Each language is named in itself, from its own catalogue: the ones not shown load after the list's first page.
  const [, setAllLoaded] = useState(false);
  useEffect(() => {
    void afterFirstPageIdle()
      .then(loadCatalogues)
      .then(() => setAllLoaded(true));
  }, []);
  const retention = status
    ? status.retention.maxAgeDays !== null
      ? t('topbar.retentionDays', { mb: status.retention.maxDbMb, days: status.retention.maxAgeDays })
      : t('topbar.retention', { mb: status.retention.maxDbMb })
    : undefined;
  return (
    <header className="topbar">
      <span className="brand" title={retention}>
        wirelog
      </span>
      <FilterBar filter={filter} hosts={hosts} models={models} onChange={onFilter} searchRef={searchRef} />
      <a className="button" href={harUrl(filter)} download>
        {t('topbar.exportHar')}
      </a>
      {/* A button, reached by Tab like the others, opens the hidden file input's picker (a label is not focusable). */}
      <button
        type="button"
        className="button"
        title={t('topbar.importHint')}
        data-testid="import-har-button"
        onClick={() => fileInput.current?.click()}
      >
        {t('topbar.importHar')}
      </button>
      <input
        ref={fileInput}
        type="file"
        accept=".har,application/json"
        hidden
        data-testid="import-har"
        onChange={(e) => {
          const file = e.target.files?.[0];
          // Emptied, so that choosing the same file again imports it again.
          e.target.value = '';
          if (file) onImport(file);
        }}
      />
      <button type="button" className="button danger" onClick={onClear}>
        {t('topbar.clearAll')}
      </button>
      <select
        className="language"
        aria-label={t('language.switch')}
        title={t('language.switch')}
        value={i18n.language}
        data-testid="language"
        onChange={(e) => isLanguage(e.target.value) && void chooseLanguage(e.target.value)}
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {i18n.hasResourceBundle(language, 'translation') ? i18n.getFixedT(language)('language.name') : language}
          </option>
        ))}
      </select>
    </header>
  );
}
