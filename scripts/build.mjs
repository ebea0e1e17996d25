// npm run build: the package's JavaScript and declaration files in dist/, from src/ and runners/ by
// tsc (tsconfig.build.json), plus the files tsc does not emit: the precompiled validators and the
// QEMU implementation's expected failures. `--clean` starts from an empty dist/ (npm pack does).
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url);
if (process.argv.includes('--clean'))
  rmSync(new URL('dist', root), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
for (const path of [
  'runners/vectors/generated/validators.js',
  'runners/vectors/generated/validators.d.ts',
  'runners/adapters/qemu/expected-failures',
])
  cpSync(new URL(path, root), new URL(`dist/${path}`, root), { recursive: true });
