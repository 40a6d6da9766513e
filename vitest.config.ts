import { defineConfig } from 'vitest/config';

// Tests run against the compiled output (dist/) so that end-to-end tests exercise the same
// `bin/exp.js` a user runs; `npm test` builds first.
export default defineConfig({
  test: {
    include: ['dist/test/**/*.test.js'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
