// An upgraded store's search re-indexing is said done on the console, whichever way its slices
// end. A slice that stops at its time bound says "more" even when the bound was reached on the
// last row; the next step then found no work and returned without a word (db/writer-worker.ts
// sayReindexed now says it there). cli-zh's test saw the "done" line never come, at load, in CI.
// Rows big enough that indexing one takes a slice's whole time make every slice end at its
// bound. Without the fix this test still passed here: the end of retention's purge after the
// re-indexing runs one more slice, which said it; it guards the line, not that one path.
import fs from 'node:fs';
import { expect, it } from 'vitest';
import { startCli } from './support/cli.ts';
import { tempDir } from './support/harness.ts';
import { schema10 } from './support/schema-10.ts';

it('says the re-indexing done when its last slice stopped at its time bound', async () => {
  const dir = tempDir('wirelog-reindex-done-');
  // 3 rows of about 2 MB of words each: one row alone takes a slice's 8 ms and more.
  schema10(dir, 3, 200_000);
  const { child, output } = await startCli(
    ['start', '--data-dir', dir, '--proxy-port', '0', '--ui-port', '0'],
    'Ctrl-C',
  );
  try {
    const lines = () =>
      output()
        .split('\n')
        .filter((l) => l.includes('search index'));
    await expect.poll(() => lines().length, { timeout: 60_000, interval: 200 }).toBe(2);
    expect(lines()[0]).toMatch(/^wirelog: search index: /);
    expect(lines()[1]).toMatch(
      /^wirelog: search index: 3 exchange\(s\) indexed in [\d.]+ s; search finds all of them now$/,
    );
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
