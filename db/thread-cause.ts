// Why a worker thread stopped, as its 'error' event gives it: an error thrown as a phrase of the
// catalogue (i18n/stored-text.ts PhraseError) keeps its phrase across the thread's edge (an
// error's own properties are copied with it), and is said in `lang`; any other error in its own words.
import type { Language } from '../i18n/languages.ts';
import { type Phrase, phraseText } from '../i18n/stored-text.ts';

export function threadCause(err: Error, lang: Language): string {
  const phrase = (err as Error & { phrase?: Phrase | string }).phrase;
  return phrase === undefined ? err.message : phraseText(phrase, lang);
}
