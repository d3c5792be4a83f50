import { useEffect, useState, type RefObject } from 'react';
import type { ListFilter } from '../api.ts';
import { EXCHANGE_STATES, STATUS_CLASSES } from '../../../model/exchange.ts';
import { DIALECTS } from '../../../llm/model-call.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];

interface Props {
  filter: ListFilter;
  hosts: string[];
  models: string[];
  onChange: (filter: ListFilter) => void;
  searchRef: RefObject<HTMLInputElement | null>;
}

export function FilterBar({ filter, hosts, models, onChange, searchRef }: Props) {
  const [text, setText] = useState(filter.q ?? '');
  // Search as the user types, once they pause.
  useEffect(() => {
    const timer = setTimeout(() => {
      if ((filter.q ?? '') !== text.trim()) onChange({ ...filter, q: text.trim() || undefined });
    }, 250);
    return () => clearTimeout(timer);
  }, [text, filter, onChange]);

  const set = (key: keyof ListFilter) => (e: { target: { value: string } }) => onChange({ ...filter, [key]: e.target.value || undefined });

  return (
    <div className="filters" role="search">
      {filter.thread && (
        <button type="button" className="button small" title={filter.thread} onClick={() => onChange({ ...filter, thread: undefined })}>
          one thread ✕
        </button>
      )}
      <input
        ref={searchRef}
        type="search"
        placeholder="Search URLs and bodies  ( / )"
        aria-label="Full-text search"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <input list="wirelog-hosts" placeholder="host" aria-label="Host" value={filter.host ?? ''} onChange={set('host')} />
      <datalist id="wirelog-hosts">
        {hosts.map((h) => (
          <option key={h} value={h} />
        ))}
      </datalist>
      <input list="wirelog-models" placeholder="model" aria-label="Model" value={filter.model ?? ''} onChange={set('model')} />
      <datalist id="wirelog-models">
        {models.map((m) => (
          <option key={m} value={m} />
        ))}
      </datalist>
      <select aria-label="Dialect" value={filter.dialect ?? ''} onChange={set('dialect')}>
        <option value="">any API</option>
        {DIALECTS.map((d) => (
          <option key={d}>{d}</option>
        ))}
      </select>
      <select aria-label="Method" value={filter.method ?? ''} onChange={set('method')}>
        <option value="">any method</option>
        {METHODS.map((m) => (
          <option key={m}>{m}</option>
        ))}
      </select>
      <select aria-label="Status" value={filter.status ?? ''} onChange={set('status')}>
        <option value="">any status</option>
        {STATUS_CLASSES.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
      <select aria-label="State" value={filter.state ?? ''} onChange={set('state')}>
        <option value="">any state</option>
        {EXCHANGE_STATES.map((s) => (
          <option key={s}>{s}</option>
        ))}
      </select>
    </div>
  );
}
