// The viewer's language: the one chosen in the top bar (remembered in this browser), else the
// first of the browser's languages wirelog speaks (start-language.ts). <html lang> follows it, so
// Chromium draws Chinese with Chinese glyph shapes, not Japanese ones.
//
// The same catalogue and settings as the CLI's (i18n/index.ts createI18n), but the app's code
// holds only English, every key's fallback: the Chinese catalogue is a chunk of its own, loaded
// before the first render when it is the language shown, or when the user switches to it.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { LANGUAGES, type Language } from '../../i18n/languages.ts';
import type { ViewerMessages } from '../../i18n/viewer-messages.ts';
import en from 'virtual:viewer-messages/en';
import { CHOSEN_LANGUAGE, startLanguage } from './start-language.ts';

// Each catalogue without what only the CLI and the server say (i18n/viewer-messages.ts, built by vite.config.ts).
const CATALOGUES: Record<Language, () => Promise<ViewerMessages>> = {
  en: async () => en,
  'zh-CN': () => import('virtual:viewer-messages/zh-CN').then((module) => module.default),
};

export const i18n = i18next.createInstance().use(initReactI18next);

const followLang = (language: string) => {
  document.documentElement.lang = language;
};
i18n.on('languageChanged', followLang);

/** Settles once the start language's catalogue is in and i18next is set up: the app renders after it. */
export const i18nReady: Promise<void> = (async () => {
  const language = startLanguage();
  const resources: Partial<Record<Language, { translation: ViewerMessages }>> = { en: { translation: en } };
  if (language !== 'en') resources[language] = { translation: await CATALOGUES[language]() };
  await i18n.init({
    lng: language,
    fallbackLng: 'en',
    resources,
    initAsync: false,
    // React escapes what it shows: no HTML escaping here.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  followLang(i18n.language);
})();

async function withCatalogue(language: Language): Promise<void> {
  if (!i18n.hasResourceBundle(language, 'translation'))
    i18n.addResourceBundle(language, 'translation', await CATALOGUES[language]());
}

/** Loads every language's catalogue (the language menu names each in itself). */
export async function loadCatalogues(): Promise<void> {
  await i18nReady;
  await Promise.all(LANGUAGES.map(withCatalogue));
}

/** Switches the viewer's language (its catalogue loaded first) and remembers the choice in this browser. */
export async function chooseLanguage(language: Language): Promise<void> {
  try {
    localStorage.setItem(CHOSEN_LANGUAGE, language);
  } catch {
    // A browser that keeps nothing still switches for this page.
  }
  await withCatalogue(language);
  await i18n.changeLanguage(language);
}
