// The command line's tiering (runners/tier-up.ts): V8's optimizing compiler is off after
// optimizeLater and on again after tierUp past its time; a TurboFan flag given to node stands. Seen
// through V8's own account of a hot function (%GetOptimizationStatus, bit 4: optimized), in a node
// of its own, with compiles on the main thread so that a finished loop has its optimized code.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';

const TIER_UP = pathToFileURL(join(PACKAGE_ROOT, 'dist/runners/tier-up.js')).href;

/** Whether a function made hot after optimizeLater(afterMs), and one made hot after tierUp() once
 * afterMs has passed, were optimized. */
function hotFunctions(afterMs: number, nodeFlags: readonly string[] = []) {
  const script = `
import { optimizeLater, tierUp } from ${JSON.stringify(TIER_UP)};
const hot = () => (x) => { let s = 0; for (let i = 0; i < 50; i++) s = (s + x * i) | 0; return s; };
const run = (f) => { let s = 0; for (let i = 0; i < 200000; i++) s ^= f(i); return (%GetOptimizationStatus(f) & 16) !== 0; };
optimizeLater(${afterMs});
const before = run(hot());
const until = performance.now() + ${afterMs};
while (performance.now() < until);
tierUp();
const after = run(hot());
console.log(JSON.stringify({ before, after }));`;
  const r = spawnSync(
    process.execPath,
    [
      '--allow-natives-syntax',
      '--no-concurrent-recompilation',
      ...nodeFlags,
      '--input-type=module',
      '-e',
      script,
    ],
    { encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { before: boolean; after: boolean };
}

describe('the command line tiers up late', () => {
  it('optimizes nothing before its time, and hot functions after it', () => {
    expect(hotFunctions(50)).toEqual({ before: false, after: true });
  });
  it('leaves a TurboFan flag given to node as it is', () => {
    expect(hotFunctions(0, ['--no-opt'])).toEqual({ before: false, after: false });
    expect(hotFunctions(0, ['--turbofan'])).toEqual({ before: true, after: true });
  });
});
