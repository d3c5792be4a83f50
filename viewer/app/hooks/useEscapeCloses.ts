import { useEffect } from 'react';

/**
 * Escape closes what `close` closes (the detail pane) when nothing nearer takes it: not while a
 * field has the focus (Escape leaves the field: useSearchKeys), nor while a dialog is open (an
 * image shown full size closes first).
 */
export function useEscapeCloses(close: (() => void) | null): void {
  useEffect(() => {
    if (!close) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      const target = e.target;
      const typing =
        target instanceof HTMLInputElement ||
        target instanceof HTMLSelectElement ||
        target instanceof HTMLTextAreaElement ||
        (target instanceof HTMLElement && target.isContentEditable);
      if (typing || document.querySelector('dialog[open]')) return;
      e.preventDefault();
      close();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [close]);
}
