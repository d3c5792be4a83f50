import { useEffect, useState, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import type { ListFilter } from '../api-client.ts';
import { EXCHANGE_STATES, STATUS_CLASSES } from '../../../model/exchange.ts';
import { DIALECTS } from '../../../llm/model-call.ts';
import { stateLabel } from '../format.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
// The API's sorts (db/reader.ts SORT_COLUMNS), in the order a user looks for them.
const SORT_KEYS: NonNullable<ListFilter['sort']>[] = ['time', 'duration', 'size', 'tokens_in', 'tokens_out', 'ttft'];

interface Props {
  filter: ListFilter;
  hosts: string[];
  models: string[];
  onChange: (filter: ListFilter) => void;
  searchRef: RefObject<HTMLInputElement | null>;
}

export function FilterBar({ filter, hosts, models, onChange, searchRef }: Props) {
  const { t } = useTranslation();
  const [text, setText] = useState(filter.q ?? '');
  // Search as the user types, once they pause.
  useEffect(() => {
    const timer = setTimeout(() => {
      if ((filter.q ?? '') !== text.trim()) onChange({ ...filter, q: text.trim() || undefined });
    }, 250);
    return () => clearTimeout(timer);
  }, [text, filter, onChange]);

  const set = (key: keyof ListFilter) => (e: { target: { value: string } }) =>
    onChange({ ...filter, [key]: e.target.value || undefined });

  // Two groups: the search, which grows, and the facets, which keep their width and move to a
  // row of their own when the top bar is too narrow for both (styles.css .topbar). <search> is the
  // search landmark (role="search") in the element itself.
  return (
    <search className="filters">
      {filter.thread && (
        <button
          type="button"
          className="button small"
          title={filter.thread}
          onClick={() => onChange({ ...filter, thread: undefined })}
        >
          {t('filter.oneThread')}
        </button>
      )}
      <input
        ref={searchRef}
        type="search"
        placeholder={t('filter.search')}
        aria-label={t('filter.searchLabel')}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <div className="facets">
        <input
          list="wirelog-hosts"
          placeholder={t('filter.host')}
          aria-label={t('filter.hostLabel')}
          value={filter.host ?? ''}
          onChange={set('host')}
        />
        <datalist id="wirelog-hosts">
          {hosts.map((h) => (
            <option key={h} value={h} />
          ))}
        </datalist>
        <input
          list="wirelog-models"
          placeholder={t('filter.model')}
          aria-label={t('filter.modelLabel')}
          value={filter.model ?? ''}
          onChange={set('model')}
        />
        <datalist id="wirelog-models">
          {models.map((m) => (
            <option key={m} value={m} />
          ))}
        </datalist>
        <select aria-label={t('filter.dialectLabel')} value={filter.dialect ?? ''} onChange={set('dialect')}>
          <option value="">{t('filter.anyDialect')}</option>
          {DIALECTS.map((d) => (
            <option key={d} translate="no">
              {d}
            </option>
          ))}
        </select>
        <select aria-label={t('filter.methodLabel')} value={filter.method ?? ''} onChange={set('method')}>
          <option value="">{t('filter.anyMethod')}</option>
          {METHODS.map((m) => (
            <option key={m} translate="no">
              {m}
            </option>
          ))}
        </select>
        <select aria-label={t('filter.statusLabel')} value={filter.status ?? ''} onChange={set('status')}>
          <option value="">{t('filter.anyStatus')}</option>
          {STATUS_CLASSES.map((s) => (
            <option key={s} translate="no">
              {s}
            </option>
          ))}
        </select>
        <select aria-label={t('filter.stateLabel')} value={filter.state ?? ''} onChange={set('state')}>
          <option value="">{t('filter.anyState')}</option>
          {EXCHANGE_STATES.map((s) => (
            <option key={s} value={s}>
              {stateLabel(s, t)}
            </option>
          ))}
        </select>
        {/* The list's headers sort too; beside the detail pane most of them give way, this does not. */}
        <select
          aria-label={t('listView.sortLabel')}
          data-testid="sort-select"
          value={filter.sort ?? ''}
          onChange={set('sort')}
        >
          <option value="">{t('listView.newestFirst')}</option>
          {SORT_KEYS.map((key) => (
            <option key={key} value={key}>
              {t(`listView.sortBy.${key}`)}
            </option>
          ))}
        </select>
      </div>
    </search>
  );
}
