// The language the viewer starts in: the one chosen in the top bar (remembered in this browser),
// else the first of the browser's languages wirelog speaks. Read by the start-up entry before the
// app's code (and i18next) has loaded, so the list's first page is asked for in that language.
import { isLanguage, pickLanguage, type Language } from '../../i18n/languages.ts';

/** Where the top bar's choice is remembered. */
export const CHOSEN_LANGUAGE = 'wirelog.language';

function chosen(): Language | null {
  try {
    const value = localStorage.getItem(CHOSEN_LANGUAGE);
    return value && isLanguage(value) ? value : null;
  } catch {
    return null;
  }
}

let start: Language | null = null;

/** The language the viewer starts in (read once: the browser's storage is slow to open). */
export function startLanguage(): Language {
  start ??= chosen() ?? pickLanguage(navigator.languages ?? [navigator.language]);
  return start;
}
