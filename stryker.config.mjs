// Mutation testing of the engine by the vectors alone (npm run mutation; scripts/mutation.ts).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  coverageAnalysis: 'perTest',
  mutate: ['src/arch/**/*.ts', 'src/machine/**/*.ts', 'src/mm/**/*.ts', '!src/**/*.generated.ts'],
  ignorePatterns: ['reports', 'examples', 'docs', 'coverage', '.stryker-tmp'],
  reporters: ['json', 'progress'],
  jsonReporter: { fileName: 'reports/mutation/stryker.json' },
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
