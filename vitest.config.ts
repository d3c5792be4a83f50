import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { testFilesByTier, type Tier } from './test/support/tiers.ts';

// The tiers, one vitest project each (`npm run test:<tier>`, or `vitest run --project <tier>`;
// `npm test` runs them all). A file's tier is read from the file (test/support/tiers.ts): no
// list to edit when a test is added. The tiers run one after another, cheapest first
// (sequence.groupOrder), so a broken unit fails in seconds and the fault scenarios, which
// measure wirelog under load, do not share the two cores with the integration files.
const byTier = testFilesByTier(fileURLToPath(new URL('.', import.meta.url)));

// Every tier but unit may start processes: each is remembered and killed by PID after its
// file, even when a test timed out before its own cleanup (test/support/children.ts).
const CHILDREN = 'test/support/children.ts';

interface TierOptions {
  /** Per test; a test that needs more says so itself. */
  testTimeout: number;
  /** beforeAll/afterAll start and stop servers, wirelog processes and browsers: on a loaded machine that is slow, never a hang. */
  hookTimeout: number;
  setupFiles: string[];
}

function tier(name: Tier, order: number, options: TierOptions) {
  return {
    test: {
      name,
      include: byTier[name],
      sequence: { groupOrder: order },
      // Tests start real servers and child processes; two cores.
      maxWorkers: 2,
      teardownTimeout: 60_000,
      // expect.poll waits for a screen or a record to change: 1 s (vitest's default) is a clock
      // a busy machine misses; this bounds a wait that would otherwise hang.
      expect: { poll: { timeout: 30_000 } },
      ...options,
    },
  };
}

export default defineConfig({
  test: {
    maxWorkers: 2,
    // Prints the fault table (test/faults) at the end of a run; keeps the run's temporary
    // directories under one of its own, removed at its end.
    globalSetup: ['test/faults/report.ts', 'test/support/run-tmpdir.ts'],
    projects: [
      // Functions fed in memory or a temporary SQLite file: seconds. No sockets, no processes (test/support/unit-guard.ts).
      tier('unit', 0, { testTimeout: 30_000, hookTimeout: 30_000, setupFiles: ['test/support/unit-guard.ts'] }),
      // The harness (wirelog in-process), the CLI as a process, real clients (curl, wget, SDKs).
      tier('integration', 1, { testTimeout: 60_000, hookTimeout: 120_000, setupFiles: [CHILDREN] }),
      // Debian's Chromium through playwright-core.
      tier('browser', 2, { testTimeout: 90_000, hookTimeout: 180_000, setupFiles: [CHILDREN] }),
      // test/faults: wirelog as its own process against a misbehaving upstream; prints the fault table.
      tier('faults', 3, { testTimeout: 120_000, hookTimeout: 180_000, setupFiles: [CHILDREN] }),
      // npm pack and install, and the build, in copies of the checkout.
      tier('package', 4, { testTimeout: 300_000, hookTimeout: 300_000, setupFiles: [CHILDREN] }),
    ],
  },
});
