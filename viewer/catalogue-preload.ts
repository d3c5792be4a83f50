// The reader's catalogue chunk, preloaded with the app's scripts. A Chinese reader's catalogue is
// a chunk of its own (viewer/app/i18n.ts), asked for only once the app's code has run: the page
// names each language's chunk in a comment (vite.config.ts writes it), and the server turns the
// one for the request's language into a `<link rel="modulepreload">`, so the browser fetches and
// compiles it while the app's scripts load. A reader who chose another language in the top bar
// than the browser's gets the one chunk early that the app may not use (tens of KB, locally).
import type { Language } from '../i18n/languages.ts';

/** The comment's word: `<!-- wirelog-catalogue zh-CN /assets/zh-CN-….js -->`. */
export const CATALOGUE_MARK = 'wirelog-catalogue';

const MARK = new RegExp(`<!-- ${CATALOGUE_MARK} (\\S+) (/\\S+\\.js) -->`, 'g');

/** The page with the catalogue comments replaced: a modulepreload for `language`'s chunk, nothing for the others. */
export function withCataloguePreload(page: string, language: Language): string {
  return page.replace(MARK, (_, chunkLanguage: string, src: string) =>
    chunkLanguage === language ? `<link rel="modulepreload" crossorigin href="${src}">` : '',
  );
}
