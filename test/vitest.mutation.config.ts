import { defineConfig } from 'vitest/config';

// The tests a mutation run (npm run mutate, stryker.config.json) uses: the unit tests of the
// masking rules (model/secrets.ts) and of the code snippets (export/snippets.ts). Not the
// browser, fault or live tests: every mutant reruns the tests that cover it, so they must be
// fast and start no servers (a live test would also cover every mutant through the proxy).
export default defineConfig({
  test: {
    include: ['test/masking.test.ts', 'test/masking-rules.test.ts', 'test/snippet-units.test.ts'],
    testTimeout: 30_000,
  },
});
