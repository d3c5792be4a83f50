import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The build runs in a copy of the sources (node_modules linked), so the checkout's own
// dist/ is never rebuilt under other tests.
let copy: string;
const run = (cmd: string, args: string[], cwd: string) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { cwd, timeout: 120_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
const builtAt = () => fs.statSync(path.join(copy, 'dist/viewer/index.html')).mtimeMs;

beforeAll(async () => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-build-'));
  const skipped = /^(node_modules|dist|test|\.git|\.stryker.*|reports|test-artifacts|\.ci-python)$/;
  fs.cpSync(process.cwd(), copy, {
    recursive: true,
    filter: (source) => !skipped.test(path.basename(source)) || source === process.cwd(),
  });
  fs.symlinkSync(path.resolve('node_modules'), path.join(copy, 'node_modules'));
  await run(process.execPath, ['scripts/build.mjs'], copy);
}, 180_000);
afterAll(() => {
  if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('leaves the viewer alone when nothing changed, and rebuilds it when a source anywhere changed (llm/ included)', async () => {
    const first = builtAt();
    await run(process.execPath, ['scripts/build.mjs'], copy);
    expect(builtAt()).toBe(first);
    fs.appendFileSync(path.join(copy, 'llm/json.ts'), '\n// changed\n');
    await run(process.execPath, ['scripts/build.mjs'], copy);
    const second = builtAt();
    expect(second).not.toBe(first);
    // A file touched but not changed is not a change.
    const now = new Date();
    fs.utimesSync(path.join(copy, 'model/exchange.ts'), now, now);
    await run(process.execPath, ['scripts/build.mjs'], copy);
    expect(builtAt()).toBe(second);
  }, 240_000);
});
