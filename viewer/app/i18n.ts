// The viewer's language: the one chosen in the top bar (remembered in this browser), else the
// first of the browser's languages wirelog speaks. <html lang> follows it, so Chromium draws
// Chinese with Chinese glyph shapes, not Japanese ones.
import { initReactI18next } from 'react-i18next';
import { createI18n } from '../../i18n/index.ts';
import { isLanguage, pickLanguage, type Language } from '../../i18n/languages.ts';

const CHOSEN = 'wirelog.language';

function chosen(): Language | null {
  try {
    const value = localStorage.getItem(CHOSEN);
    return value && isLanguage(value) ? value : null;
  } catch {
    return null;
  }
}

export const i18n = createI18n(chosen() ?? pickLanguage(navigator.languages ?? [navigator.language]), [
  initReactI18next,
]);

const followLang = (language: string) => {
  document.documentElement.lang = language;
};
followLang(i18n.language);
i18n.on('languageChanged', followLang);

/** Switches the viewer's language and remembers the choice in this browser. */
export function chooseLanguage(language: Language): void {
  try {
    localStorage.setItem(CHOSEN, language);
  } catch {
    // A browser that keeps nothing still switches for this page.
  }
  void i18n.changeLanguage(language);
}
