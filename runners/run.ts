// A run: load, select, execute in batches, judge, and build the report. Reporters render it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toInput, type Implementation } from './adapter.ts';
import { archDescriptions } from './arch.ts';
import { judge, type Mismatch, type Verdict } from './compare.ts';
import type { ExpectFail } from './expect-fail.ts';
import { PACKAGE_ROOT } from './paths.ts';
import { select, type Selection } from './select.ts';
import type { LoadedVector, LoadResult, Problem } from './vectors/load.ts';

export interface ResultEntry {
  readonly id: string;
  readonly file: string;
  readonly family: string;
  readonly arch: string;
  readonly mode: string;
  readonly description: string;
  readonly verdict: Verdict;
  readonly reason?: string;
  readonly mismatches?: readonly Mismatch[];
}

export interface Summary {
  total: number;
  passed: number;
  failed: number;
  skipped: number;
  xfailed: number;
  xpassed: number;
  errors: number;
  problems: number;
}

export interface RunReport {
  readonly tool: { readonly name: 'ptvec'; readonly version: string };
  readonly implementation: { readonly name: string; readonly version?: string };
  readonly shard?: string;
  readonly summary: Summary;
  readonly results: readonly ResultEntry[];
  readonly problems: readonly Problem[];
}

export function toolVersion(): string {
  return (
    JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
}

const BATCH = 256;

export function summarize(results: readonly ResultEntry[], problems: number): Summary {
  const s: Summary = {
    total: results.length,
    passed: 0,
    failed: 0,
    skipped: 0,
    xfailed: 0,
    xpassed: 0,
    errors: 0,
    problems,
  };
  for (const r of results) {
    if (r.verdict === 'pass') s.passed++;
    else if (r.verdict === 'fail') s.failed++;
    else if (r.verdict === 'skip') s.skipped++;
    else if (r.verdict === 'xfail') s.xfailed++;
    else if (r.verdict === 'xpass') s.xpassed++;
    else s.errors++;
  }
  return s;
}

/** Vectors whose arch+mode has no description cannot be run; they are problems, not results. */
function runnable(vectors: readonly LoadedVector[], problems: Problem[]): LoadedVector[] {
  const known = archDescriptions();
  return vectors.filter((v) => {
    if (known.has(`${v.arch}-${v.mode}`)) return true;
    problems.push({
      file: v.file,
      pointer: `${v.pointer}`,
      message: `${v.arch} has no mode "${v.mode}" (vectors/arch/ has no ${v.arch}-${v.mode}.json)`,
    });
    return false;
  });
}

export interface RunOptions {
  readonly selection: Selection;
  readonly expectFail?: ExpectFail;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function execute(
  impl: Implementation,
  loaded: LoadResult,
  opts: RunOptions,
): Promise<RunReport> {
  const problems: Problem[] = [...loaded.problems];
  const chosen = runnable(select(opts.selection, loaded.vectors), problems);
  const results: ResultEntry[] = [];
  for (let i = 0; i < chosen.length; i += BATCH) {
    const batch = chosen.slice(i, i + BATCH);
    const observed = await impl.run(batch.map(toInput));
    batch.forEach((v, j) => {
      const o = observed[j] ?? { kind: 'error' as const, reason: 'no answer for this vector' };
      const j0 = judge(v, o, impl.choices);
      const xf = opts.expectFail?.reasons.get(v.id);
      let verdict: Verdict = j0.verdict;
      let reason = j0.reason;
      if (xf !== undefined && j0.verdict === 'fail') {
        verdict = 'xfail';
        reason = xf;
      } else if (xf !== undefined && j0.verdict === 'pass') {
        verdict = 'xpass';
        reason = `listed as an expected failure (${xf}) but passed: remove it from ${opts.expectFail?.file ?? 'the expectations file'}`;
      }
      results.push({
        id: v.id,
        file: v.file,
        family: v.family,
        arch: v.arch,
        mode: v.mode,
        description: v.description,
        verdict,
        ...(reason === undefined ? {} : { reason }),
        ...(j0.mismatches ? { mismatches: j0.mismatches } : {}),
      });
    });
    opts.onProgress?.(Math.min(i + BATCH, chosen.length), chosen.length);
  }
  if (opts.expectFail) {
    const all = new Set(loaded.vectors.map((v) => v.id));
    for (const id of opts.expectFail.reasons.keys()) {
      if (!all.has(id))
        problems.push({
          file: opts.expectFail.file,
          pointer: `/${id.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          message: `stale entry: no vector has the id "${id}"`,
          severity: 'warning',
        });
    }
  }
  const shard = opts.selection.shard;
  return {
    tool: { name: 'ptvec', version: toolVersion() },
    implementation:
      impl.version === undefined ? { name: impl.name } : { name: impl.name, version: impl.version },
    ...(shard ? { shard: `${shard.index}/${shard.count}` } : {}),
    summary: summarize(results, problems.length),
    results,
    problems,
  };
}

/** 0: all passed, skipped or failed as expected; 1: any fail, xpass or error; 2: input that could not be judged. */
export function exitCode(r: RunReport): number {
  const invalid = r.problems.some((p) => p.severity !== 'warning');
  if (invalid) return 2;
  const s = r.summary;
  return s.failed + s.xpassed + s.errors > 0 ? 1 : 0;
}
