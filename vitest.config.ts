import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // An example imports the library as its users do, from 'ptvec': here, from the source.
  resolve: {
    alias: [
      { find: /^ptvec$/, replacement: fileURLToPath(new URL('runners/api.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    reporters: process.env.CI ? ['dot'] : ['default'],
    testTimeout: 60_000,
    pool: 'threads',
  },
});
