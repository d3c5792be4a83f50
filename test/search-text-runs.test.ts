// db/search-text.ts leaves base64 runs (200 characters or more) out of what is indexed. Its
// pattern matches only where a run starts (it was tried from every character of every word):
// a run is left out whole wherever it starts (after a quote, a colon, a comma, the text's
// start), and a shorter run, or the tail of one, is kept.
import { describe, expect, it } from 'vitest';
import { indexedText } from '../db/search-text.ts';

const run = (n: number) => 'QUJD'.repeat(Math.ceil(n / 4)).slice(0, n);
const squeezed = (text: string) => indexedText(text).replace(/\s+/g, ' ').trim();

describe('base64 runs in indexed text', () => {
  it('leaves out a run of 200 characters whole, whatever precedes it', () => {
    for (const before of ['', ' ', '"', ':', ',', '\n', '{"image":"'])
      expect(squeezed(`${before}${run(200)}"}`)).toBe(`${before} "}`.replace(/\s+/g, ' ').trim());
    expect(squeezed(`data:image/png;base64,${run(5000)} next`)).toBe('data:image/png;base64, next');
  });

  it('keeps a run of 199 characters, and the words around a long run', () => {
    expect(squeezed(`a ${run(199)} b`)).toBe(`a ${run(199)} b`);
    expect(squeezed(`model-1 ${run(300)} model-2 ${run(150)}`)).toBe(`model-1 model-2 ${run(150)}`);
  });

  it('reads JSON with many short words as before', () => {
    const json = JSON.stringify({
      data: Array.from({ length: 50 }, (_, i) => ({ id: `model-${i}`, owned_by: 'relay' })),
    });
    expect(squeezed(json)).toBe(json);
  });
});
