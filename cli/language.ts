// The language the CLI speaks for this run: `--lang` (taken out of the arguments before the
// command reads them), else WIRELOG_LANG, else the shell's locale (i18n/languages.ts).
import { createI18n, type Translate } from '../i18n/index.ts';
import { LANGUAGES, cliLanguage, isLanguage, type Language } from '../i18n/languages.ts';
import { UsageError } from './usage-error.ts';

let language: Language = cliLanguage(process.env);
let translate: Translate = createI18n(language).t;

/** The CLI's language. */
export function cliLang(): Language {
  return language;
}

/** A message of the catalogue in the CLI's language. */
export const t: Translate = ((...args: Parameters<Translate>) => translate(...args)) as Translate;

/** The languages wirelog speaks, as a list in the CLI's language ("en and zh-CN", "en 和 zh-CN"). */
function listed(type: 'conjunction' | 'disjunction'): string {
  return new Intl.ListFormat(language, { type }).format(LANGUAGES);
}

/**
 * The arguments without `--lang X` / `--lang=X` (only before a `--`: what follows belongs to the
 * command `wirelog run` starts), the language set from it.
 */
export function takeLanguageFlag(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const own = end < 0 ? argv : argv.slice(0, end);
  const rest = end < 0 ? [] : argv.slice(end);
  const kept: string[] = [];
  let flag: string | undefined;
  for (let i = 0; i < own.length; i++) {
    const arg = own[i];
    if (arg === '--lang') {
      flag = own[++i];
      if (flag === undefined)
        throw new UsageError(t('commands.flags.langNeedsValue', { languages: listed('disjunction') }));
    } else if (arg.startsWith('--lang=')) flag = arg.slice('--lang='.length);
    else kept.push(arg);
  }
  if (flag !== undefined) {
    if (!isLanguage(flag))
      throw new UsageError(t('commands.flags.langUnknown', { value: flag, languages: listed('conjunction') }));
    language = cliLanguage(process.env, flag);
    translate = createI18n(language).t;
    // Every thread (the storage worker's console lines) and child wirelog reads the language from here.
    process.env.WIRELOG_LANG = language;
  }
  return [...kept, ...rest];
}
