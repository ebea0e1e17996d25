// V8's optimizing compiler (TurboFan) in the command line: off for the first seconds of a process,
// then on. A cold run of the whole corpus is over in about two seconds on a 2-core machine and most
// of its code runs only a few hundred times: TurboFan's compiles, on a core of their own, save less
// than they cost, and they take the core a second run thread would use (bench/package.ts measures
// the cold run both ways). A longer run gets optimized code after OPTIMIZE_AFTER_MS: V8 reads the
// flag at each tier-up decision, so the hot functions are optimized from then on (a warm pass of
// the corpus reaches its optimized speed two passes after the flag is turned back on). The library
// never turns it off: only bin/ptvec.js calls optimizeLater.

import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';

export const OPTIMIZE_AFTER_MS = 4000;

let optimizeAt = Infinity;

/** A TurboFan flag of V8's (`--opt`, `--no_turbofan`, ...): node's arguments cannot be overruled. */
const TURBOFAN_FLAG = /^--(no[-_])?(opt|turbofan)(=|$)/;

/**
 * TurboFan off now, and on again at the first `tierUp` `afterMs` from now; nothing if node was
 * started with a TurboFan flag (NODE_OPTIONS cannot hold one).
 */
export function optimizeLater(afterMs = OPTIMIZE_AFTER_MS): void {
  if (process.execArgv.some((a) => TURBOFAN_FLAG.test(a))) return;
  setFlagsFromString('--no-opt');
  optimizeAt = performance.now() + afterMs;
}

/**
 * TurboFan on again if its time has come. Called as a run's threads or its stream (--exec) take a
 * file, before the check by running (`run`, `lint`), as a vector is judged and as `serve` answers:
 * only a load of files on one thread (under 16 MiB of them, or one core) goes without it to its
 * end. The flag is the process's: run threads, which never call optimizeLater, leave it to the
 * main thread.
 */
export function tierUp(): void {
  if (performance.now() < optimizeAt) return;
  optimizeAt = Infinity;
  setFlagsFromString('--opt');
}
