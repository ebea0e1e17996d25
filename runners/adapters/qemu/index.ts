// `ptvec run --impl qemu`: the hardware vectors on real qemu-system-{x86_64,aarch64,riscv64}. Each
// vector becomes a list of harness operations (the arch's target), vectors are batched into one QEMU
// process per batch, `--jobs` processes at a time, and a batch that crashes or hangs is cut at the
// vector it did not finish: that vector runs again alone, and only if it fails alone does it get the
// `error` verdict; the rest run on in a new process.

import { execFileSync } from 'node:child_process';
import { rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Implementation, VectorInput, VectorObservation } from '../../adapter.ts';
import { harnessProblem, harnessPath } from './build.ts';
import { runBatch } from './launch.ts';
import { BlobWriter, type QemuTarget } from './target.ts';
import { TARGETS } from './targets.ts';

/** The checked-in expected failures of QEMU, one file per arch: `--impl qemu` applies them. */
export const QEMU_EXPECTED_FAILURES = fileURLToPath(
  new URL('./expected-failures', import.meta.url),
);

/**
 * The most vectors one QEMU process runs: start-up (130-160 ms measured, most of a small run) is paid
 * once per batch, and a vector adds 30-60 us; a batch that crashes is cut, not rerun whole.
 */
const BATCH = 4000;
/** Time each vector of a batch may add to the batch's deadline. */
const PER_VECTOR_MS = 5;

interface Job {
  readonly index: number;
  readonly v: VectorInput;
  readonly target: QemuTarget;
  readonly state: unknown;
  readonly words: readonly bigint[];
  readonly cpus: number;
  readonly variant: string | undefined;
}

const HARDWARE_FAMILIES = new Set(['mmu', 'tlb']);

const error = (reason: string): VectorObservation => ({ kind: 'error', reason });

function unsupported(v: VectorInput, reason: string): VectorObservation {
  return { kind: 'observed', steps: v.steps.map(() => ({ kind: 'unsupported', reason })) };
}

/** `qemu-system-x86_64 --version`'s version, or why the binary cannot be run. */
function qemuVersion(binary: string): { version: string } | { missing: string } {
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    return { version: /version ([^\s(]+)/.exec(out)?.[1] ?? out.split('\n')[0]!.trim() };
  } catch (e) {
    return { missing: `${binary} cannot be run (${(e as Error).message.split('\n')[0]})` };
  }
}

/** Room the guest RAM files need in their directory: what the guests touch, not their size. */
const RAM_ROOM = 2 ** 31;

/** Where the guest RAM files go: memory (/dev/shm) when it has room, else the temporary directory. */
function ramDirectory(): string {
  try {
    const st = statfsSync('/dev/shm');
    if (st.bavail * st.bsize >= RAM_ROOM) return '/dev/shm';
  } catch {
    // No /dev/shm here.
  }
  return tmpdir();
}

export function qemuImplementation(o: {
  readonly jobs: number;
  readonly timeoutMs: number;
  /** The most vectors a process runs (BATCH by default). */
  readonly batch?: number;
  /** The targets by arch (TARGETS by default; a test gives changed ones). */
  readonly targets?: Readonly<Partial<Record<string, QemuTarget>>>;
}): Implementation {
  const most = o.batch ?? BATCH;
  const targets: Readonly<Partial<Record<string, QemuTarget>>> = o.targets ?? TARGETS;
  const all = Object.values(targets).filter((t): t is QemuTarget => t !== undefined);
  const versions = new Map(all.map((t) => [t.arch, qemuVersion(t.binary)]));
  const shown = [
    ...new Set([...versions.values()].flatMap((x) => ('version' in x ? [x.version] : []))),
  ];
  const ramFiles: string[] = [];
  const base = ramDirectory();
  const targetOf = (v: VectorInput): QemuTarget | undefined => targets[v.arch];
  /** Why the run was stopped: the vectors QEMU has not finished get it (its processes are killed). */
  let stopped: string | undefined;
  const stopping = new AbortController();
  return {
    name: 'qemu',
    ...(shown.length ? { version: shown.join(', ') } : {}),
    choices: Object.assign({}, ...all.map((t) => t.choices)) as Record<string, string>,
    unobserved: (v) => targetOf(v)?.unobserved ?? {},
    notCovered(v) {
      if (!HARDWARE_FAMILIES.has(v.family))
        return `QEMU runs the hardware families (mmu, tlb), not ${v.family}`;
      const t = targetOf(v);
      if (!t) return `no QEMU target for ${v.arch}`;
      const why = t.notCovered(v);
      if (why) return why;
      const cpus = t.cpus(v);
      return cpus > t.maxCpus
        ? `the ${v.arch} harness drives ${t.maxCpus} CPU(s); the vector needs ${cpus}`
        : undefined;
    },
    async run(vectors, answered) {
      const queues = new Map<string, Job[]>();
      vectors.forEach((v, index) => {
        // Stopped first: a Ctrl-C during the version probes also failed them (ptvec's process group).
        if (stopped !== undefined) return answered(index, error(stopped));
        const target = targetOf(v);
        if (!target) return answered(index, error(`no QEMU target for ${v.arch}`));
        const version = versions.get(target.arch)!;
        if ('missing' in version) return answered(index, error(version.missing));
        const problem = harnessProblem(target);
        if (problem) return answered(index, error(problem));
        const w = new BlobWriter();
        let encoded;
        try {
          encoded = target.encode(v, w);
        } catch (e) {
          return answered(
            index,
            error(`the QEMU adapter could not encode it: ${(e as Error).message}`),
          );
        }
        if (!encoded.ok) return answered(index, unsupported(v, encoded.unsupported));
        const cpus = target.cpus(v);
        const variant = target.variant?.(v);
        const key = `${target.arch}/${cpus}/${variant ?? ''}`;
        const job = { index, v, target, state: encoded.state, words: w.words, cpus, variant };
        queues.set(key, [...(queues.get(key) ?? []), job]);
      });
      const batches: Job[][] = [];
      // Each group in batches of at most BATCH, and in at least as many as there are processes.
      for (const jobs of queues.values()) {
        const size = Math.min(most, Math.ceil(jobs.length / Math.max(1, o.jobs)));
        for (let i = 0; i < jobs.length; i += size) batches.push(jobs.slice(i, i + size));
      }
      const settle = (job: Job, words: BigUint64Array): void => {
        let obs: VectorObservation;
        try {
          obs = job.target.decode(job.v, job.state, words);
        } catch (e) {
          obs = error(`the harness's output could not be read: ${(e as Error).message}`);
        }
        answered(job.index, obs);
      };
      const worker = async (n: number): Promise<void> => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) {
          if (stopped !== undefined) {
            for (const j of batch) answered(j.index, error(stopped));
            continue;
          }
          const first = batch[0]!;
          const ram = join(base, `ptvec-qemu-${process.pid}-${n}-${first.target.arch}.ram`);
          if (!ramFiles.includes(ram)) ramFiles.push(ram);
          let r;
          try {
            r = await runBatch(
              first.target,
              {
                harness: harnessPath(first.target),
                ram,
                cpus: first.cpus,
                variant: first.variant,
                timeoutMs: o.timeoutMs + PER_VECTOR_MS * batch.length,
                signal: stopping.signal,
              },
              batch.map((j) => j.words),
            );
          } catch (e) {
            // No vector's fault (the RAM file could not be made, say): each gets the reason.
            const reason = `the QEMU adapter could not run the batch: ${(e as Error).message}`;
            for (const j of batch) answered(j.index, error(reason));
            continue;
          }
          r.done.forEach((words, k) => settle(batch[k]!, words));
          if (r.failure === undefined) continue;
          if (stopped !== undefined) {
            for (const j of batch.slice(r.done.length)) answered(j.index, error(stopped));
            continue;
          }
          const suspect = batch[r.done.length];
          if (!suspect) continue;
          if (batch.length === 1) {
            answered(suspect.index, error(r.failure));
            continue;
          }
          // The vector the harness did not finish runs alone; the others after it go on together.
          const rest = batch.slice(r.done.length + 1);
          if (rest.length) batches.unshift(rest);
          batches.unshift([suspect]);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, (_, n) => worker(n)));
    },
    stop(reason) {
      stopped ??= reason;
      stopping.abort();
    },
    close() {
      for (const f of ramFiles) rmSync(f, { force: true });
      return Promise.resolve();
    },
  };
}
