// `npm test` on a fresh clone: install the locked dependencies first if they are not there yet,
// so that the README's test command does all the set-up by itself.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../node_modules/.package-lock.json', import.meta.url))) {
  console.log('ptvec: installing dependencies (npm ci) ...');
  execSync('npm ci', { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
}
