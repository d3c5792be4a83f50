import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { rawRows as rawRowsOf, type Rows } from '../body-rows.ts';
import { Base64Run } from './Base64Run.tsx';

/** Every row is one line high (rows are cut at WRAP characters): no row is measured. */
const ROW_PX = 17;
/** Indentation stops growing here: a body nested 10,000 deep still shows its text. */
const MAX_INDENT = 40;

/** A row as text: a newline between tokens of one row (pretty-printed JSON that came indented) shows as a space. */
function rowText(text: string, start: number, end: number): string {
  const slice = text.slice(start, end);
  return slice.includes('\n') ? slice.replace(/\r?\n\s*/g, ' ') : slice;
}

/**
 * A text as a virtualized list of rows: only the rows on screen are in the DOM, so a 20 MB body
 * costs what one screen costs. `version` changes while rows are still being added.
 */
export function RawLines({ rows, version, testId }: { rows: Rows; version: number; testId?: string }) {
  const { t } = useTranslation();
  const scroller = useRef<HTMLDivElement>(null);
  // A collapsed run opened for reading: shown whole, itself virtualized, above the rows.
  const [opened, setOpened] = useState<{ text: string } | null>(null);
  const virtualizer = useVirtualizer({
    count: rows.count,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_PX,
    overscan: 30,
  });
  const text = rows.text;
  return (
    <>
      {opened && <OpenedRun text={opened.text} onClose={() => setOpened(null)} />}
      <div
        className="raw-lines body-text mono"
        style={{ height: `min(${rows.count * ROW_PX + 26}px, 70vh)` }}
        ref={scroller}
        data-testid={testId ?? 'raw-lines'}
        data-rows={rows.count}
        data-version={version}
        data-done={rows.done}
      >
        <div className="raw-lines-inner" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const i = item.index;
            const start = rows.starts[i];
            const end = rows.ends[i];
            const run = rows.runs.get(i);
            return (
              <div
                key={i}
                className="raw-line"
                style={{
                  transform: `translateY(${item.start}px)`,
                  paddingLeft: `${Math.min(rows.depths[i], MAX_INDENT) * 2}ch`,
                }}
              >
                {run ? (
                  <>
                    <span data-captured>{rowText(text, start, run.start)}</span>
                    <Base64Run
                      text={text.slice(run.start, run.end)}
                      info={run.info}
                      onOpen={(whole) => setOpened({ text: whole })}
                    />
                    <span data-captured>{rowText(text, run.end, end)}</span>
                  </>
                ) : (
                  <span data-captured>{rowText(text, start, end)}</span>
                )}
              </div>
            );
          })}
        </div>
      </div>
      {!rows.done && <div className="muted">{t('bigBody.indenting', { rows: rows.count.toLocaleString() })}</div>}
    </>
  );
}

/** A base64 run opened from a row: its text in rows of its own, with a close button. */
function OpenedRun({ text, onClose }: { text: string; onClose: () => void }) {
  const { t } = useTranslation();
  const [rows] = useState(() => rawRowsOf(text));
  return (
    <div className="opened-run">
      <button type="button" className="button small" onClick={onClose}>
        {t('bigBody.close')}
      </button>
      <RawLines rows={rows} version={0} testId="opened-run" />
    </div>
  );
}
