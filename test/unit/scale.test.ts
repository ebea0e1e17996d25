// Running at scale: --shard and `ptvec merge` give the unsharded report, expected-failure files
// report what went stale, and progress appears on a terminal but not in CI logs.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { select, shardOf } from '../../runners/select.ts';
import { loadVectors } from '../../runners/load.ts';
import { dirtyVector, tmp, vectorFile, writeJson } from './helpers.ts';

const BIN = join(PACKAGE_ROOT, 'bin/ptvec.js');
function ptvec(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: PACKAGE_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const ci = { CI: 'true' };
const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>;

describe('--shard and ptvec merge', () => {
  const d = tmp();
  const shardFiles = [1, 2, 3].map((i) => join(d, `shard-${i}.json`));
  const whole = join(d, 'whole.json');
  const merged = join(d, 'merged.json');
  const failing = writeJson(
    d,
    'failing.json',
    vectorFile([dirtyVector('x86_64/pte/t/fails', false), dirtyVector('x86_64/pte/t/passes')]),
  );
  const args = ['vectors', failing, '--arch', 'x86_64', '--arch', 'riscv64'];

  it('merges three shards into exactly the report of the unsharded run', () => {
    expect(ptvec(ci, 'run', ...args, '--reporter', `json=${whole}`).code).toBe(1);
    for (const [i, f] of shardFiles.entries())
      ptvec(ci, 'run', ...args, '--shard', `${i + 1}/3`, '--reporter', `json=${f}`);
    const shards = shardFiles.map((f) => json(f) as { results: { id: string }[] });
    const ids = shards.flatMap((s) => s.results.map((r) => r.id));
    const all = (json(whole) as { results: { id: string }[] }).results.map((r) => r.id);
    // Every vector in exactly one shard.
    expect(ids.length).toBe(all.length);
    expect(new Set(ids)).toEqual(new Set(all));
    const r = ptvec(ci, 'merge', ...shardFiles.reverse(), '--reporter', `json=${merged}`);
    expect(r.code).toBe(1);
    expect(json(merged)).toEqual(json(whole));
  }, 60_000);

  it('says a merge ended early when one of its shards did', () => {
    const early = writeJson(tmp(), 'shard-2.json', {
      ...json(shardFiles[1] as string),
      stopped: 'the run was interrupted (SIGTERM)',
    });
    const out = join(tmp(), 'merged.json');
    const r = ptvec(
      ci,
      'merge',
      shardFiles[0]!,
      early,
      shardFiles[2]!,
      '--reporter',
      `json=${out}`,
    );
    expect(r.err).toContain('ptvec: the run ended early: the run was interrupted (SIGTERM)');
    expect(json(out).stopped).toBe('the run was interrupted (SIGTERM)');
  });

  it('refuses an incomplete or overlapping set of shards (exit 2)', () => {
    const missing = ptvec(ci, 'merge', shardFiles[0] as string, shardFiles[1] as string);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/shard \d\/3 is missing/);
    expect(missing.err).toMatch(/^error: shard \d\/3 is missing$/m);
    const twice = ptvec(ci, 'merge', ...shardFiles, shardFiles[0] as string);
    expect(twice.code).toBe(2);
    expect(twice.err.trim().split('\n')).toEqual([
      expect.stringMatching(/: this report is given twice$/),
    ]);
    // A copy under another name: one line, however many vectors overlap.
    const copy = writeJson(d, 'copy.json', json(shardFiles[0]!));
    const overlap = ptvec(ci, 'merge', ...shardFiles, copy);
    expect(overlap.code).toBe(2);
    const lines = overlap.err.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /copy\.json#\/results\/0: \d+ vectors, the first \S+, are also in \S+: the shards overlap$/,
    );
  });

  it('refuses shards run with other filters: their vectors are not the same run', () => {
    // By name: the first test reversed shardFiles.
    const shard1 = json(join(d, 'shard-1.json'));
    expect(shard1.filters).toEqual({
      arch: ['x86_64', 'riscv64'],
      mode: [],
      family: [],
      tag: [],
      grep: [],
    });
    const other = join(tmp(), 'shard-1.json');
    const run = ptvec(
      ci,
      'run',
      ...args,
      '--family',
      'pte',
      '--shard',
      '1/3',
      '--reporter',
      `json=${other}`,
    );
    expect(run.code === 0 || run.code === 1).toBe(true);
    const r = ptvec(ci, 'merge', other, join(d, 'shard-2.json'), join(d, 'shard-3.json'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toEqual([
      expect.stringMatching(
        /shard-2\.json#\/filters: from a run with other filters: --arch x86_64 --arch riscv64, while \S+shard-1\.json has --arch x86_64 --arch riscv64 --family pte$/,
      ),
      expect.stringMatching(/shard-3\.json#\/filters: from a run with other filters: /),
    ]);
  }, 60_000);

  it('says the missing shards as ranges, from the shards given, whatever their count', () => {
    const as = (i: number, n: number) => {
      const r = { ...json(shardFiles[0]!), shard: `${i}/${n}`, results: [] };
      return writeJson(d, `as-${i}-${n}.json`, r);
    };
    // The count comes from the file: it took 40 s and 4.6 GB to list a billion missing shards.
    const huge = ptvec(ci, 'merge', as(1, 1_000_000_000));
    expect(huge.code).toBe(2);
    expect(huge.err).toContain('shards 2-1000000000 of 1000000000 are missing');
    const some = ptvec(ci, 'merge', as(1, 5), as(4, 5));
    expect(some.err).toContain('shards 2-3 of 5 are missing');
    expect(some.err).toContain('shard 5/5 is missing');
  });

  it('keeps every vector in its shard when vectors are added', () => {
    const corpus = loadVectors([]).vectors;
    const before = new Map(corpus.map((v) => [v.id, shardOf(v.id, 7)]));
    const extra = corpus.slice(0, 50).map((v) => ({ ...v, id: `${v.id}-new` }));
    const all = { arch: [], mode: [], family: [], tag: [], grep: [] };
    for (let i = 1; i <= 7; i++) {
      const chosen = select({ ...all, shard: { index: i, count: 7 } }, [...corpus, ...extra]);
      for (const v of chosen) if (before.has(v.id)) expect(before.get(v.id)).toBe(i);
    }
  });
});

describe('--expect-fail', () => {
  it('reports a listed id that no longer exists, and a listed vector that now passes', () => {
    const d = tmp();
    const v = writeJson(
      d,
      'v.json',
      vectorFile([dirtyVector('x86_64/pte/t/x', false), dirtyVector('x86_64/pte/t/y')]),
    );
    const xf = writeJson(d, 'xf.json', {
      'x86_64/pte/t/x': 'known: wrong dirty bit',
      'x86_64/pte/t/y': 'fixed since',
      'x86_64/pte/t/deleted': 'vector removed',
    });
    const r = ptvec(ci, 'run', v, '--expect-fail', xf, '--reporter', `json=${join(d, 'r.json')}`);
    expect(r.code).toBe(1);
    const rep = json(join(d, 'r.json')) as {
      results: { id: string; verdict: string; reason?: string }[];
      problems: { message: string; severity?: string }[];
    };
    expect(rep.results.map((x) => [x.id, x.verdict])).toEqual([
      ['x86_64/pte/t/x', 'xfail'],
      ['x86_64/pte/t/y', 'xpass'],
    ]);
    expect(rep.results[1]?.reason).toMatch(/remove it from .*xf\.json/);
    expect(rep.problems).toEqual([
      expect.objectContaining({
        message: 'stale entry: no vector has the id "x86_64/pte/t/deleted"',
        severity: 'warning',
      }),
    ]);
    expect(r.err).toContain('stale entry: no vector has the id "x86_64/pte/t/deleted"');
  });
});

describe('progress', () => {
  // `script` (util-linux) runs the command on a pseudo-terminal, as a person's shell would.
  const onTty = (env: string) =>
    spawnSync(
      'script',
      [
        '-qec',
        `${env} '${process.execPath}' '${BIN}' run --arch riscv64 --reporter json=/dev/null`,
        '/dev/null',
      ],
      { encoding: 'utf8', cwd: PACKAGE_ROOT, env: { ...process.env, CI: '' } },
    );

  it('is shown on a terminal', () => {
    const r = onTty('env -u CI');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\r\u001b\[K\d+\/\d+ vectors \(\d+%\)/);
  });

  it('is not shown in CI logs, even on a terminal', () => {
    const r = onTty('env CI=true');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/vectors \(\d+%\)/);
    expect(r.stdout).toMatch(/vectors: \d+ passed/);
  });

  it('is not shown when stderr is not a terminal', () => {
    const r = ptvec({ CI: '' }, 'run', '--arch', 'riscv64', '--reporter', 'json=/dev/null');
    expect(r.err).not.toMatch(/vectors \(\d+%\)/);
  });
});
