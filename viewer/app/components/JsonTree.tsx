import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { base64Info, numberRun, rawRows } from '../body-rows.ts';
import { Base64Run, download } from './Base64Run.tsx';
import { RawLines } from './RawLines.tsx';

/** Children shown at first, and added per "show more" (doubling): a 100,000-item array opens in pages. */
const PAGE = 100;
/** Lines opened at first, all nodes together: the first screen of a 5 MB body, not all of it. */
const OPEN_BUDGET = 400;
/** Strings longer than this show their head until asked for the rest. */
const STRING_HEAD = 2000;
/** An opened string this long is shown in rows, virtualized, not as one text node to lay out. */
const STRING_IN_ROWS = 64 * 1024;

type Container = Record<string, unknown> | unknown[];

const isContainer = (value: unknown): value is Container => value !== null && typeof value === 'object';
const sizeOf = (value: Container) => (Array.isArray(value) ? value.length : Object.keys(value).length);

/**
 * The nodes opened at first: breadth first down to `openDepth` while the lines they show stay
 * within OPEN_BUDGET. Runs of numbers (embeddings) stay closed. Nodes are the parsed values themselves.
 */
function initiallyOpen(root: unknown, openDepth: number): Set<object> {
  const open = new Set<object>();
  let lines = 1;
  const queue: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  for (let i = 0; i < queue.length; i++) {
    const { value, depth } = queue[i];
    if (!isContainer(value) || depth >= openDepth || numberRun(value) !== null) continue;
    const children = Array.isArray(value) ? value.slice(0, PAGE) : Object.values(value).slice(0, PAGE);
    if (lines + children.length > OPEN_BUDGET) continue;
    lines += children.length;
    open.add(value);
    for (const child of children) queue.push({ value: child, depth: depth + 1 });
  }
  return open;
}

/** A string as JSON writes it; long ones by their head, base64 ones collapsed. */
function StringLeaf({ value }: { value: string }) {
  const { t } = useTranslation();
  const [whole, setWhole] = useState(false);
  const run = useMemo(() => base64Info(value), [value]);
  const rows = useMemo(
    () => (whole && value.length > STRING_IN_ROWS ? rawRows(JSON.stringify(value)) : null),
    [whole, value],
  );
  if (run) return <Base64Run text={value} info={run} />;
  if (value.length <= STRING_HEAD || (whole && !rows))
    return (
      <span className="j-string" data-captured>
        {JSON.stringify(value)}
      </span>
    );
  if (rows) return <RawLines rows={rows} version={0} testId="opened-string" />;
  return (
    <>
      <span className="j-string" data-captured>
        {JSON.stringify(value.slice(0, STRING_HEAD)).slice(0, -1)}…
      </span>
      <button type="button" className="link-button" onClick={() => setWhole(true)}>
        {t('bigBody.moreChars', { count: value.length - STRING_HEAD })}
      </button>
    </>
  );
}

/** A value as JSON writes it: captured data, never translated. */
function Leaf({ value }: { value: unknown }) {
  if (value === null)
    return (
      <span className="j-null" data-captured>
        null
      </span>
    );
  if (typeof value === 'string') return <StringLeaf value={value} />;
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

function Node({ name, value, opened }: { name: string | null; value: unknown; opened: Set<object> }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(() => isContainer(value) && opened.has(value));
  const [shown, setShown] = useState(PAGE);
  const label =
    name === null ? null : (
      <span className="j-key" data-captured>
        {JSON.stringify(name)}:{' '}
      </span>
    );
  if (!isContainer(value)) {
    return (
      <div className="j-line">
        {label}
        <Leaf value={value} />
      </div>
    );
  }
  const isArray = Array.isArray(value);
  const count = sizeOf(value);
  const floats = numberRun(value);
  const [openMark, closeMark] = isArray ? ['[', ']'] : ['{', '}'];
  // Only the children shown are listed: Object.entries of 100,000 keys is not built to show 100.
  const entries: [string, unknown][] = !open
    ? []
    : isArray
      ? value.slice(0, shown).map((v, i) => [String(i), v])
      : Object.entries(value).slice(0, shown);
  return (
    <div className="j-node">
      <button type="button" className="j-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        {open ? '▾' : '▸'}
      </button>
      {label}
      {openMark}
      {!open && (
        // A bigger target for the pointer; out of the Tab order, as the toggle before it does the same
        // from the keyboard (one stop per node, not two).
        <button type="button" className="j-summary" tabIndex={-1} onClick={() => setOpen(true)}>
          {' '}
          {floats !== null
            ? t('bigBody.floats', { count: floats })
            : t(isArray ? 'json.items' : 'json.keys', { count })}{' '}
          {closeMark}
        </button>
      )}
      {!open && floats !== null && (
        <button
          type="button"
          className="link-button"
          onClick={() => download(JSON.stringify(value), 'numbers.json', 'application/json')}
        >
          {t('bigBody.download')}
        </button>
      )}
      {open && (
        <>
          <div className="j-children">
            {entries.map(([k, v]) => (
              <Node key={k} name={isArray ? null : k} value={v} opened={opened} />
            ))}
            {shown < count && (
              <button type="button" className="button small" onClick={() => setShown(shown * 2)}>
                {t('json.showMore', { count: Math.min(shown, count - shown) })}
              </button>
            )}
          </div>
          {closeMark}
        </>
      )}
    </div>
  );
}

/**
 * A collapsible JSON tree. Every value is rendered as text, never as markup. Children are
 * rendered only once their node is open, and in pages: what is in the DOM grows with what the
 * reader opened, not with the body.
 */
export function JsonTree({ value, openDepth = 3 }: { value: unknown; openDepth?: number }) {
  const opened = useMemo(() => initiallyOpen(value, openDepth), [value, openDepth]);
  return (
    <div className="json-tree mono" data-testid="json-tree">
      <Node name={null} value={value} opened={opened} />
    </div>
  );
}
