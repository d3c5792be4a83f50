import { useCallback, useRef, useState, type KeyboardEvent, type PointerEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** The list's share of the window, in percent: as it was before panes could be resized. */
const DEFAULT_PERCENT = 45;
const MIN_PERCENT = 20;
const MAX_PERCENT = 80;
const STEP = 2;
const BIG_STEP = 10;
const STORAGE_KEY = 'wirelog.listPercent';

function clamp(percent: number): number {
  return Math.round(Math.max(MIN_PERCENT, Math.min(MAX_PERCENT, percent)));
}

/** What the user chose last time, or the default; a value that is not a number is forgotten. */
function remembered(): number {
  try {
    const saved = Number(window.localStorage.getItem(STORAGE_KEY));
    return Number.isFinite(saved) && saved > 0 ? clamp(saved) : DEFAULT_PERCENT;
  } catch {
    // Storage refused (a private window's policy): the default, every time.
    return DEFAULT_PERCENT;
  }
}

function remember(percent: number): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, String(percent));
  } catch {
    // Not remembered; the width still applies now.
  }
}

interface Props {
  /** The list. */
  first: ReactNode;
  /** The detail; null: the list has the whole width and there is no separator. */
  second: ReactNode | null;
}

/**
 * The list beside the detail, split by a separator that is dragged with the pointer or moved with
 * the arrow keys (Shift for bigger steps, Home and End for the ends). The list's share is
 * remembered in localStorage. Each pane keeps a floor in pixels, so a narrow window never
 * squeezes the detail below what its tabs need.
 */
export function SplitPane({ first, second }: Props) {
  const { t } = useTranslation();
  const [percent, setPercent] = useState(remembered);
  const mainRef = useRef<HTMLElement>(null);
  const dragging = useRef(false);

  const apply = useCallback((next: number) => {
    const value = clamp(next);
    setPercent(value);
    remember(value);
  }, []);

  const fromPointer = (e: PointerEvent) => {
    const box = mainRef.current?.getBoundingClientRect();
    if (box && box.width > 0) apply(((e.clientX - box.left) / box.width) * 100);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const step = e.shiftKey ? BIG_STEP : STEP;
    if (e.key === 'ArrowLeft' || e.key === 'ArrowDown') apply(percent - step);
    else if (e.key === 'ArrowRight' || e.key === 'ArrowUp') apply(percent + step);
    else if (e.key === 'Home') apply(MIN_PERCENT);
    else if (e.key === 'End') apply(MAX_PERCENT);
    else return;
    e.preventDefault();
  };

  return (
    <main
      ref={mainRef}
      className={second === null ? 'panes' : 'panes with-detail'}
      style={
        second === null ? undefined : { gridTemplateColumns: `minmax(360px, ${percent}%) auto minmax(420px, 1fr)` }
      }
    >
      {first}
      {second !== null && (
        <>
          {/* <hr> is a separator; focusable and with a value, a window splitter to assistive technology. */}
          <hr
            className="pane-separator"
            aria-orientation="vertical"
            aria-valuenow={percent}
            aria-valuemin={MIN_PERCENT}
            aria-valuemax={MAX_PERCENT}
            aria-label={t('viewerTools.resizePanes')}
            title={t('viewerTools.resizePanes')}
            tabIndex={0}
            data-testid="pane-separator"
            onKeyDown={onKeyDown}
            onPointerDown={(e) => {
              dragging.current = true;
              e.currentTarget.setPointerCapture(e.pointerId);
              e.preventDefault();
            }}
            onPointerMove={(e) => dragging.current && fromPointer(e)}
            onPointerUp={(e) => {
              dragging.current = false;
              e.currentTarget.releasePointerCapture(e.pointerId);
            }}
          />
          {second}
        </>
      )}
    </main>
  );
}
