// The viewer's API (the list, the detail, sessions and their price table, @pydantic/genai-prices:
// 3 MB of heap and about 11 MB resident) is loaded when someone opens the viewer, not at start: a
// wirelog nobody looks at holds only what captures (bench/memory.ts). What the process resolved is
// read from a module-loader hook preloaded into it (support/module-trace.mjs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startWirelogProcess, type WirelogProcess } from './support/cli.ts';

const TRACE_HOOK = fileURLToPath(new URL('./support/module-trace.mjs', import.meta.url));
const PRICE_TABLE = '@pydantic/genai-prices';
/** HAR import's streaming parser: loaded with the API or by the first upload (cli/instance.ts lazyImporter), not at start. */
const HAR_PARSER = 'stream-json/core/parser.js';

let running: WirelogProcess | null = null;
afterEach(async () => {
  await running?.stop();
  running = null;
});

describe('the viewer API loads when the viewer is opened', () => {
  it('is not loaded at start; the page loads it, and the list answers', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-lazy-api-'));
    const trace = path.join(dataDir, 'modules.txt');
    running = await startWirelogProcess(dataDir, [], {
      env: { NODE_OPTIONS: `--import=${TRACE_HOOK}`, WIRELOG_MODULE_TRACE: trace },
    });
    const resolved = () => fs.readFileSync(trace, 'utf8').split('\n');
    // Capturing, listening, the viewer's server up: and still no price table.
    expect(resolved()).toContain('node:http');
    expect(resolved()).not.toContain(PRICE_TABLE);
    expect(resolved()).not.toContain(HAR_PARSER);

    const page = await fetch(`${running.viewerUrl}/`);
    await page.text();
    const list = await fetch(`${running.viewerUrl}/api/exchanges`);
    expect(list.status).toBe(200);
    expect(await list.json()).toMatchObject({ exchanges: [] });
    expect(resolved()).toContain(PRICE_TABLE);
  });
});
