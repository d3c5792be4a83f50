// The message catalogue as flat keys (`topbar.exportHar`), for tests that compare languages.
import { RESOURCES } from '../../i18n/index.ts';

type Tree = { [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    if (typeof value === 'string') out.set(`${prefix}${key}`, value);
    else for (const [k, v] of leaves(value, `${prefix}${key}.`)) out.set(k, v);
  }
  return out;
}

/** Every message of a language by its dotted key. */
export function catalogue(language: keyof typeof RESOURCES): Map<string, string> {
  return leaves(RESOURCES[language].translation as unknown as Tree);
}
