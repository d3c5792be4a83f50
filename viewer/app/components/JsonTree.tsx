import { useState } from 'react';
import { useTranslation } from 'react-i18next';

const PREVIEW_ITEMS = 100;

/** A value as JSON writes it: captured data, never translated. */
function Leaf({ value }: { value: unknown }) {
  if (value === null)
    return (
      <span className="j-null" data-captured>
        null
      </span>
    );
  if (typeof value === 'string')
    return (
      <span className="j-string" data-captured>
        {JSON.stringify(value)}
      </span>
    );
  if (typeof value === 'number')
    return (
      <span className="j-number" data-captured>
        {String(value)}
      </span>
    );
  if (typeof value === 'boolean')
    return (
      <span className="j-bool" data-captured>
        {String(value)}
      </span>
    );
  return <span data-captured>{String(value)}</span>;
}

function Node({ name, value, depth, openDepth }: { name: string | null; value: unknown; depth: number; openDepth: number }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(depth < openDepth);
  const [showAll, setShowAll] = useState(false);
  const label = name === null ? null : <span className="j-key" data-captured>{JSON.stringify(name)}: </span>;
  if (value === null || typeof value !== 'object') {
    return (
      <div className="j-line">
        {label}
        <Leaf value={value} />
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  const [openMark, closeMark] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  const shown = showAll ? entries : entries.slice(0, PREVIEW_ITEMS);
  return (
    <div className="j-node">
      <button type="button" className="j-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        {open ? '▾' : '▸'}
      </button>
      {label}
      {openMark}
      {!open && (
        <span className="j-summary" onClick={() => setOpen(true)}>
          {' '}
          {t(Array.isArray(value) ? 'json.items' : 'json.keys', { count: entries.length })} {closeMark}
        </span>
      )}
      {open && (
        <>
          <div className="j-children">
            {shown.map(([k, v]) => (
              <Node key={k} name={Array.isArray(value) ? null : k} value={v} depth={depth + 1} openDepth={openDepth} />
            ))}
            {shown.length < entries.length && (
              <button type="button" className="button small" onClick={() => setShowAll(true)}>
                {t('json.showMore', { count: entries.length - shown.length })}
              </button>
            )}
          </div>
          {closeMark}
        </>
      )}
    </div>
  );
}

/** A collapsible JSON tree. Every value is rendered as text, never as markup. */
export function JsonTree({ value, openDepth = 3 }: { value: unknown; openDepth?: number }) {
  return (
    <div className="json-tree mono">
      <Node name={null} value={value} depth={0} openDepth={openDepth} />
    </div>
  );
}
