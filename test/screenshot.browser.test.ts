// The README's screenshot (docs/screenshot.png) is a PNG of the viewer at 1280x800, and the script
// that takes it from a real run (scripts/screenshot.ts: wirelog, a fake relay, the real Codex's
// seed 404 through the gateway, Debian's Chromium) still runs: here into a temporary file.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './support/harness.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk (right after the signature). */
function pngSize(file: string): { width: number; height: number } {
  const bytes = fs.readFileSync(file);
  expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE), `${file} is a PNG`).toBe(true);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("the README's screenshot", () => {
  it('docs/screenshot.png is a 1280x800 PNG, shown after the first paragraph of both READMEs', () => {
    const file = path.join(ROOT, 'docs/screenshot.png');
    expect(pngSize(file)).toEqual({ width: 1280, height: 800 });
    // A screen with text and colour compresses to tens of KB; a blank one to a few.
    expect(fs.statSync(file).size).toBeGreaterThan(30_000);
    for (const readme of ['README.md', 'README.zh-CN.md']) {
      const text = fs.readFileSync(path.join(ROOT, readme), 'utf8');
      expect(text, readme).toContain('(docs/screenshot.png)');
    }
  });

  it('scripts/screenshot.ts takes it from a real run (into a temporary file here)', async () => {
    const out = path.join(tempDir('wirelog-screenshot-test-'), 'shot.png');
    const ran = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        path.join(ROOT, 'node_modules/.bin/tsx'),
        ['scripts/screenshot.ts', '--out', out],
        { cwd: ROOT, timeout: 240_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(ran, ran.stderr).toMatchObject({ code: 0 });
    expect(ran.stdout).toContain('(1280x800)');
    expect(pngSize(out)).toEqual({ width: 1280, height: 800 });
    expect(fs.statSync(out).size).toBeGreaterThan(30_000);
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }, 300_000);
});
