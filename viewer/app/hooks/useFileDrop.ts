import { useEffect } from 'react';

/**
 * A file dropped anywhere on the page goes to `onFile` (null: dropping does nothing here, and the
 * browser does what it does). The whole window is the drop target, so the listeners sit on the
 * window, not on a page-sized element; the keyboard's way to the same import is the Import button
 * in the top bar.
 */
export function useFileDrop(onFile: ((file: File) => void) | null): void {
  useEffect(() => {
    if (!onFile) return;
    // Without preventDefault on dragover the page is not a drop target, and the browser opens the file instead.
    const onDragOver = (e: DragEvent) => {
      if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
    };
    const onDrop = (e: DragEvent) => {
      const file = e.dataTransfer?.files[0];
      if (!file) return;
      e.preventDefault();
      onFile(file);
    };
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
    };
  }, [onFile]);
}
