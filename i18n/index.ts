// The message catalogue, through i18next: every string wirelog shows a user comes from
// i18n/messages/, in English and Simplified Chinese. i18next is the well-kept library for it
// (plurals, interpolation, the same catalogue in React through react-i18next and in the CLI).
import i18next, { type i18n, type Module, type TFunction } from 'i18next';
import { en } from './messages/en.ts';
import { zhCN } from './messages/zh-CN.ts';
import type { Language } from './languages.ts';

export const RESOURCES = { en: { translation: en }, 'zh-CN': { translation: zhCN } } as const;

/** An i18next instance for one language, ready at once (the catalogue is bundled, nothing loads). */
export function createI18n(language: Language, plugins: Module[] = []): i18n {
  const instance = i18next.createInstance();
  for (const plugin of plugins) instance.use(plugin);
  void instance.init({
    lng: language,
    fallbackLng: 'en',
    resources: RESOURCES,
    initAsync: false,
    // Text goes to a terminal or through React, which escapes it: no HTML escaping here.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return instance;
}

export type Translate = TFunction;
export type { Language } from './languages.ts';
