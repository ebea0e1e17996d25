// Lint: typescript-eslint strict, plus the layering of DESIGN.md as import rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ARCHES = ['x86_64', 'arm64', 'riscv64'];
const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'runners/vectors/generated/**',
      'src/layout/descriptions.generated.ts',
      'examples/**/build/**',
      '.mutation-tmp/**',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: restrict([
      {
        group: ['node:*', 'ajv', 'tsx', 'vitest', 'json-schema-to-typescript'],
        message: 'src/ is pure TypeScript: no I/O, no JSON Schema, no Node APIs.',
      },
      {
        group: ['**/runners/**', '**/test/**', '**/scripts/**', '**/bench/**'],
        message: 'src/ imports nothing outside src/.',
      },
    ]),
  },
  ...ARCHES.map((arch) => ({
    files: [`src/machine/${arch}/**/*.ts`],
    rules: restrict([
      {
        group: ['node:*', 'ajv', '**/runners/**', '**/test/**'],
        message: 'src/ imports nothing outside src/.',
      },
      {
        group: ARCHES.filter((a) => a !== arch).flatMap((a) => [`**/arch/${a}/**`, `../${a}/**`]),
        message: 'One arch never imports another: move what they share down.',
      },
      {
        group: ['**/engine.ts', '**/registry.ts', '**/mm/**'],
        message: 'The machine is below the engine and Linux mm.',
      },
    ]),
  })),
  ...ARCHES.map((arch) => ({
    files: [`src/arch/${arch}/**/*.ts`],
    rules: restrict([
      {
        group: ['node:*', 'ajv', '**/runners/**', '**/test/**'],
        message: 'src/ imports nothing outside src/.',
      },
      {
        group: ARCHES.filter((a) => a !== arch).map((a) => `**/arch/${a}/**`),
        message: 'One arch never imports another: move what they share down.',
      },
      {
        group: ['**/engine.ts', '**/registry.ts'],
        message: 'Lower layers do not import the engine.',
      },
    ]),
  })),
  {
    files: ['src/bits/**/*.ts'],
    rules: restrict([{ group: ['../*', '!../bits/*'], message: 'bits/ is the bottom layer.' }]),
  },
  {
    files: ['runners/**/*.ts'],
    ignores: ['runners/adapters/reference.ts', 'runners/adapters/reference-json.ts'],
    rules: restrict([
      {
        group: ['**/src/**'],
        message:
          'runners/ reaches the engine only through runners/adapters/reference.ts (and its reference-json.ts).',
      },
    ]),
  },
  {
    files: ['examples/**/*.ts'],
    rules: restrict([
      {
        group: ['**/src/**', '**/runners/**', '../*'],
        message:
          "An example imports ptvec as its users do: from 'ptvec', never from the source tree.",
      },
    ]),
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs', 'bench/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
