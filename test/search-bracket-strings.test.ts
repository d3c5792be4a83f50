// A JSON string is read a second time only when its text is JSON (db/search-text.ts): a string
// that merely starts with `[` (a log line `[error] ...`, a footnote, a markdown link) keeps its
// escaped backslashes as backslashes, as every string did before schema 21, so a Windows path's
// words stay whole (`C:\\src\\tests\\new.ts`: `tests` and `new`, not `ests` and `ew`). A string
// that is a JSON array is still read again.
import { describe, expect, it } from 'vitest';
import { indexedText } from '../db/search-text.ts';

/** The words the index is given for a body. */
const words = (body: string) => indexedText(body).split(/[^\p{L}\p{N}]+/u);

describe('a JSON string opening with [', () => {
  it.each([
    ['a log line', '[error] cannot open C:\\src\\tests\\new.ts'],
    ['a footnote', '[1] see C:\\build\\release\\notes.txt'],
    ['a markdown link', '[readme](C:\\repo\\tools\\readme.md)'],
  ])('that is no JSON keeps its backslashes: %s', (_what, text) => {
    const found = words(JSON.stringify({ role: 'tool', content: text }));
    const wanted = text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    for (const word of wanted) expect(found, word).toContain(word);
  });

  it.each([
    ['strings', ['a\nexport b', 'c\nreturn d']],
    ['objects', [{ out: 'x\nconst y' }]],
    ['numbers first', [1, 'z\ninterface w']],
    ['arrays', [['q\nimport r']]],
  ])('that is a JSON array of %s is read again', (_what, value) => {
    const found = words(JSON.stringify({ role: 'tool', content: JSON.stringify(value) }));
    const expected = JSON.stringify(value)
      .match(/\\n(\w+)/g)!
      .map((m) => m.slice(2));
    for (const word of expected) expect(found, word).toContain(word);
  });
});
