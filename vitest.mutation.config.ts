// The mutation run's tests (npm run mutation): the vectors alone, nothing else.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/mutation/**/*.mutation.ts'],
    testTimeout: 60_000,
    pool: 'threads',
  },
});
