import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real servers and child processes; two cores.
    maxWorkers: 2,
    // Prints the fault table (test/faults) at the end of a run.
    globalSetup: ['test/faults/report.ts'],
  },
});
