// The viewer's code comes in chunks (main.tsx, App.tsx): one that does not load (wirelog was
// updated or restarted since the page was opened, and the chunk's name changed with its content)
// says so and how to recover, instead of a blank page or a pane that never fills.
import { viewerStartEn } from '../../i18n/messages/viewer-start.en.ts';
import { viewerStartZhCN } from '../../i18n/messages/viewer-start.zh-CN.ts';
import { startLanguage } from './start-language.ts';

/** A chunk of the viewer's code that did not load. */
export class CodeNotLoaded extends Error {}

/** `load`, its failure turned into a CodeNotLoaded. */
export function loadingCode<T>(load: () => Promise<T>): () => Promise<T> {
  return () =>
    load().catch((err: unknown) => {
      throw new CodeNotLoaded((err as Error)?.message ?? String(err));
    });
}

/**
 * The message in the start language, for when i18next itself may not have loaded (the start-up
 * entry): the same catalogue entry the app shows through i18next.
 */
export function codeNotLoadedText(err: unknown): string {
  const text = (startLanguage() === 'zh-CN' ? viewerStartZhCN : viewerStartEn).codeNotLoaded;
  return text.replace('{{error}}', (err as Error)?.message ?? String(err));
}

/** Shows the message in place of the page (the start-up entry: no React yet). */
export function showCodeNotLoaded(err: unknown): void {
  const root = document.getElementById('root');
  if (!root) return;
  const line = document.createElement('p');
  line.className = 'detail-error';
  line.setAttribute('role', 'alert');
  line.textContent = codeNotLoadedText(err);
  root.replaceChildren(line);
}
