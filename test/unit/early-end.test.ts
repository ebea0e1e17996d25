// A run that ends early still writes its report (runners/interrupt.ts): at --max-time, or on a first
// signal. What the implementation answered keeps its verdict; every other vector is an error that
// says why it was not run; the implementation's processes are gone.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { VectorObservation } from '../../runners/adapter.ts';
import { toInput } from '../../runners/adapter.ts';
import { qemuImplementation } from '../../runners/adapters/qemu/index.ts';
import { TARGETS } from '../../runners/adapters/qemu/targets.ts';
import { ensureHarnesses } from '../../runners/adapters/qemu/build.ts';
import { judge } from '../../runners/compare.ts';
import { loadVectors } from '../../runners/load.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import type { RunReport } from '../../runners/run.ts';
import { qemuMissing } from './qemu-sample.ts';
import { tmp, vectorFile, writeJson } from './helpers.ts';

const BIN = join(PACKAGE_ROOT, 'bin/ptvec.js');
const FAKE = join(PACKAGE_ROOT, 'test/fixtures/misbehaving-impl.mjs');
const N = 30;

/** N pte_dirty vectors the fake answers right, one every 200 ms: 6 s in all. */
function slowRun(fakeArgs = '') {
  const dir = tmp();
  const vectors = Array.from({ length: N }, (_, k) => ({
    id: `x86_64/pte/t/ok-${String(k).padStart(2, '0')}`,
    description: 'a dirty PTE',
    steps: [{ op: 'pte_dirty', args: { pte: '0x0000000000000067' }, expect: { result: true } }],
  }));
  writeJson(dir, 'slow.json', vectorFile(vectors));
  const work = tmp();
  const pids = join(work, 'pids');
  const answers = join(work, 'answers');
  const report = join(work, 'report.json');
  const html = join(work, 'report.html');
  const exec = `sh -c 'echo $$ >> "${pids}"; exec "$0" "$@"' "${process.execPath}" "${FAKE}" ${fakeArgs}`;
  const args = [BIN, 'run', dir, '--exec', exec, '--reporter', `json=${report}`];
  args.push('--reporter', `html=${html}`);
  const env = {
    ...process.env,
    CI: 'true',
    PTVEC_FAKE_DELAY_MS: '200',
    PTVEC_FAKE_ANSWERS: answers,
  };
  return { args, env, pids, answers, report, html };
}

const running = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The report says why the run stopped, as its HTML report does; `stopped` is the reason. */
function stoppedReport(r: ReturnType<typeof slowRun>, reason: string): RunReport {
  const report = JSON.parse(readFileSync(r.report, 'utf8')) as RunReport;
  expect(`not run: ${String(report.stopped)}`).toBe(reason);
  expect(readFileSync(r.html, 'utf8')).toContain(`✗ STOPPED</b> the run ended early: `);
  return report;
}

/** Every vector has one result: a pass, or the error `reason`; at least one is the error. */
async function endedEarly(r: ReturnType<typeof slowRun>, reason: string) {
  const report = stoppedReport(r, reason);
  expect(report.results).toHaveLength(N);
  const verdicts = report.results.map((x) => (x.verdict === 'pass' ? 'pass' : x.reason));
  for (const v of verdicts) expect(['pass', reason]).toContain(v);
  expect(verdicts).toContain(reason);
  await gone(r);
}

/** The implementation's processes have ended. */
async function gone(r: ReturnType<typeof slowRun>) {
  const pids = readFileSync(r.pids, 'utf8').split('\n').filter(Boolean).map(Number);
  expect(pids.length).toBeGreaterThan(0);
  for (const pid of pids) await vi.waitFor(() => expect(running(pid)).toBe(false));
}

type Run = ReturnType<typeof slowRun>;
/** The exit status of `r` run with --max-time `limit`. */
const withMaxTime = (r: Run, env: NodeJS.ProcessEnv = r.env, limit = '1') =>
  spawnSync(process.execPath, [...r.args, '--max-time', limit], { env, encoding: 'utf8' }).status;
/** The exit status of `r` sent `signal` once the file `started` exists. */
async function signalled(r: Run, signal: NodeJS.Signals, started: string) {
  const child = spawn(process.execPath, r.args, { env: r.env, stdio: 'ignore' });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  await vi.waitFor(() => expect(existsSync(started)).toBe(true), { timeout: 20_000 });
  child.kill(signal);
  return exited;
}

describe('a run that ends early', () => {
  it('stops at --max-time, and writes its report', async () => {
    const r = slowRun();
    expect(withMaxTime(r)).toBe(1);
    await endedEarly(r, "not run: the run's time limit was reached (--max-time 1)");
  });

  it('does not wait for the hello of a process it restarts', async () => {
    // The first process exits after its first answer; the next never says hello (30 s allowed).
    const r = slowRun();
    const env = {
      ...r.env,
      PTVEC_FAKE_DELAY_MS: '',
      PTVEC_FAKE_EXIT_EVERY: '1',
      PTVEC_FAKE_SILENT_RESTART: '1',
      PTVEC_FAKE_LOG: join(tmp(), 'starts'),
    };
    expect(withMaxTime(r, env)).toBe(1);
    await endedEarly(r, "not run: the run's time limit was reached (--max-time 1)");
  }, 20_000);

  describe('before the implementation has said hello', () => {
    /** The fake never says hello (30 s allowed); `starts` is written when it has started. */
    const silent = () => {
      const r = slowRun('--hello=silent');
      const starts = join(tmp(), 'starts');
      return { ...r, starts, env: { ...r.env, PTVEC_FAKE_LOG: starts } };
    };
    /** Every vector is the error `reason`. */
    const noneRun = async (r: ReturnType<typeof silent>, reason: string) => {
      const report = stoppedReport(r, reason);
      expect(report.results.map((x) => x.reason)).toEqual(Array<string>(N).fill(reason));
      await gone(r);
    };
    it('stops at --max-time (given as .5, and said so)', async () => {
      const r = silent();
      expect(withMaxTime(r, r.env, '.5')).toBe(1);
      await noneRun(r, "not run: the run's time limit was reached (--max-time .5)");
    }, 20_000);
    it('stops on a first SIGTERM', async () => {
      const r = silent();
      expect(await signalled(r, 'SIGTERM', r.starts)).toBe(143);
      await noneRun(r, 'not run: the run was interrupted (SIGTERM)');
    }, 20_000);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('stops on a first %s, writes its report and exits %i', async (signal, status) => {
    const r = slowRun();
    // Once the implementation has answered a vector: the run is under way.
    expect(await signalled(r, signal, r.answers)).toBe(status);
    await endedEarly(r, `not run: the run was interrupted (${signal})`);
  });

  it.each([
    [['--max-time', '5'], '--max-time: only with --exec or --impl qemu'],
    [['--exec', 'x', '--max-time', '0'], '--max-time: expected seconds, more than 0'],
    [['--exec', 'x', '--max-time', '1e3'], '--max-time: expected seconds, more than 0'],
    [['--exec', 'x', '--max-time', '9999999'], '--max-time: expected seconds, more than 0'],
  ])('refuses %j', (args, message) => {
    const p = spawnSync(process.execPath, [BIN, 'run', ...args], { encoding: 'utf8' });
    expect(p.status).toBe(2);
    expect(p.stderr).toContain(message);
  });
});

const missing = Object.values(TARGETS)
  .map(qemuMissing)
  .find((m) => m !== undefined);

describe.skipIf(missing !== undefined)('QEMU stopped part way', () => {
  const vectors = loadVectors([join(PACKAGE_ROOT, 'vectors/mmu/riscv64')]).vectors;
  /** The run's observations, with `stop` called at once or at the first answer. */
  async function stopped(when: 'before' | 'at once' | 'at the first answer') {
    expect(ensureHarnesses(Object.values(TARGETS))).toBeUndefined();
    const impl = qemuImplementation({ jobs: 1, timeoutMs: 60_000, batch: 10 });
    const got = new Map<number, VectorObservation>();
    if (when === 'before') impl.stop?.('stopped by the test');
    const run = impl.run(vectors.map(toInput), (i, o) => {
      expect(got.has(i)).toBe(false);
      got.set(i, o);
      const ran = o.kind === 'observed' && o.steps.every((x) => x.kind === 'result');
      if (when === 'at the first answer' && ran) impl.stop?.('stopped by the test');
    });
    if (when === 'at once') impl.stop?.('stopped by the test');
    await run;
    await impl.close();
    expect(got.size).toBe(vectors.length);
    return [...got].map(([i, o]) =>
      o.kind === 'error' && o.reason === 'stopped by the test'
        ? 'stopped'
        : judge(vectors[i]!, o, impl.choices).verdict,
    );
  }
  it('runs nothing once stopped, not even what it would answer without QEMU', async () => {
    expect(new Set(await stopped('before'))).toEqual(new Set(['stopped']));
  });
  // The vectors the harness cannot run are answered `unsupported` (skip) before any QEMU starts.
  it('kills the QEMU under way: no vector is run', async () => {
    const v = await stopped('at once');
    expect(new Set(v)).toEqual(new Set(['stopped', 'skip']));
  });
  it('keeps QEMU out of a Ctrl-C to its process group: ptvec stops the run and kills QEMU itself', async () => {
    expect(ensureHarnesses(Object.values(TARGETS))).toBeUndefined();
    const report = join(tmp(), 'r.json');
    const args = [BIN, 'run', '--impl', 'qemu', '--arch', 'riscv64', '--family', 'mmu'];
    // A group of its own, as a terminal makes for a job; the group gets the signal, as on Ctrl-C.
    const p = spawn(process.execPath, [...args, '--reporter', `json=${report}`], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, CI: 'true' },
    });
    const pgid = p.pid!;
    const group = (pid: number) =>
      Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
    const qemuOf = () =>
      // A QEMU running a batch (not a `--version` probe, which runs in ptvec's group and is done).
      spawnSync('pgrep', ['-P', String(pgid), '-f', 'qemu-system.* -kernel '], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number);
    let qemu: number[] = [];
    for (let t = 0; t < 600 && !qemu.length; t++) {
      await new Promise((r) => setTimeout(r, 10));
      qemu = qemuOf();
    }
    expect(qemu.length).toBeGreaterThan(0);
    for (const q of qemu) expect(group(q)).not.toBe(pgid);
    process.kill(-pgid, 'SIGINT');
    const code = await new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
    expect(code).toBe(130);
    const r = JSON.parse(readFileSync(report, 'utf8')) as RunReport;
    expect(r.stopped).toBe('the run was interrupted (SIGINT)');
    for (const x of r.results) expect(x.reason ?? '').not.toMatch(/killed by/);
    for (const q of qemu) expect(running(q)).toBe(false);
  }, 60_000);

  it('keeps the batch QEMU finished, and gives every other vector the reason', async () => {
    const v = await stopped('at the first answer');
    // One batch of at most 10, judged (QEMU's expected failures are not applied here).
    const ran = v.filter((x) => x !== 'stopped' && x !== 'skip');
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.length).toBeLessThanOrEqual(10);
    for (const x of ran) expect(['pass', 'fail']).toContain(x);
    expect(v.filter((x) => x === 'stopped').length).toBeGreaterThan(vectors.length / 2);
  });
});
