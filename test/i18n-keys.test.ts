// The viewer asks the catalogue only for keys it has, and the <tags/> that Trans fills with
// elements (code, links, captured names) are the same in both languages: a key mistyped in a
// component would show the key itself, a tag lost in a translation would drop what it holds.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue } from './support/catalogue.ts';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return /\.tsx?$/.test(entry.name) ? [file] : [];
  });
}

const en = catalogue('en');
const zh = catalogue('zh-CN');

/** Every key a viewer source names literally: t('…'), i18nKey="…". */
function keysUsed(): { file: string; key: string }[] {
  return sources('viewer/app').flatMap((file) => {
    const text = fs.readFileSync(file, 'utf8');
    return [...text.matchAll(/\bt\(\s*'([\w.]+)'|i18nKey="([\w.]+)"/g)].map((m) => ({ file, key: m[1] ?? m[2] }));
  });
}

const tags = (text: string) => [...text.matchAll(/<\/?(\w+)\s*\/?>/g)].map((m) => m[1]).sort();

describe('the viewer and its catalogue', () => {
  it('every key a component asks for exists in English (itself, or as plural forms)', () => {
    const used = keysUsed();
    // The converted screens: the scan must see them.
    expect(used.length).toBeGreaterThan(100);
    const missing = used.filter(({ key }) => !en.has(key) && !(en.has(`${key}_one`) && en.has(`${key}_other`)));
    expect(missing).toEqual([]);
  });

  it('a key with plural forms has them in both languages (zh-CN resolves every count to _other)', () => {
    for (const key of en.keys()) {
      if (!key.endsWith('_one')) continue;
      const base = key.slice(0, -'_one'.length);
      expect(en.has(`${base}_other`), base).toBe(true);
      expect(zh.get(`${base}_other`), base).toBeTruthy();
    }
  });

  it('Trans tags are the same in both languages', () => {
    for (const [key, text] of en) expect(tags(zh.get(key) ?? ''), key).toEqual(tags(text));
  });
});
