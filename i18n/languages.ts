// Which language wirelog speaks: English or Simplified Chinese, chosen from what the user's
// browser or shell says, with an explicit choice winning. One rule for the viewer and the CLI.

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

/**
 * The language for one locale tag, as browsers (`zh-CN`, `zh-Hans-SG`) and POSIX shells
 * (`zh_CN.UTF-8`, `zh_TW.Big5@euro`) write them; null when it is neither of ours. Any Chinese
 * reads Simplified Chinese (the only Chinese catalogue; Traditional readers read it too) rather
 * than English.
 */
export function languageOf(tag: string | undefined | null): Language | null {
  const base = (tag ?? '')
    .trim()
    .replace(/[.@].*$/, '')
    .replace(/_/g, '-')
    .toLowerCase();
  if (!base || base === 'c' || base === 'posix') return null;
  if (base === 'zh' || base.startsWith('zh-')) return 'zh-CN';
  if (base === 'en' || base.startsWith('en-')) return 'en';
  return null;
}

/** The first of the user's languages (most preferred first) wirelog speaks; English when none. */
export function pickLanguage(preferred: readonly (string | undefined | null)[]): Language {
  for (const tag of preferred) {
    const language = languageOf(tag);
    if (language) return language;
  }
  return 'en';
}

/**
 * The CLI's language: `--lang`, then `WIRELOG_LANG`, then the locale as POSIX decides it
 * (`LC_ALL` over `LC_MESSAGES` over `LANG`; GNU's `LANGUAGE` list first when a locale is set).
 * A value that names no language of ours is passed over, never an error: a shell's locale is
 * not the user talking to wirelog.
 */
export function cliLanguage(env: NodeJS.ProcessEnv, flag?: string): Language {
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  const gnuList = locale && languageOf(locale) !== null ? (env.LANGUAGE ?? '').split(':') : [];
  return pickLanguage([flag, env.WIRELOG_LANG, ...gnuList, locale]);
}

/** Whether a `--lang` value is one wirelog speaks (a wrong one is a usage error). */
export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}
