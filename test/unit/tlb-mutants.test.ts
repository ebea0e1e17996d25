// The TLB vectors accept every behaviour the architectures allow and reject what they forbid. An MMU
// without any TLB is legal on all three (SDM §4.10.2.3 "need not have TLBs"; riscv priv: the cache is
// optional; Arm: caching is permitted, not required), so it must pass everything; an MMU whose
// invalidations do nothing must fail. The mutants are the reference MMUs with one part replaced, run
// through the same op table and comparer as the engine.

import { describe, expect, it } from 'vitest';
import { toInput, type StepObservation } from '../../runners/adapter.ts';
import {
  engineSetup,
  engineStep,
  jsonValue,
  REFERENCE_CHOICES,
} from '../../runners/adapters/reference.ts';
import { judge } from '../../runners/compare.ts';
import type { LoadedVector } from '../../runners/vectors/files.ts';
import { loadVectors } from '../../runners/load.ts';
import type { Arch, Mode } from '../../src/config.ts';
import type { ArchMmu } from '../../src/machine/arch.ts';
import { buildMachine } from '../../src/machine/builder.ts';
import { geometry } from '../../src/machine/geometry.ts';
import { machineOps } from '../../src/machine/ops.ts';
import { MMUS, modeDesc } from '../../src/registry.ts';
import type { OpArgs } from '../../src/ops/types.ts';

const corpus = loadVectors(['vectors/mmu', 'vectors/tlb']).vectors;

function runWith(mmu: ArchMmu, v: LoadedVector) {
  const input = toInput(v);
  const desc = modeDesc(v.arch as Arch, v.mode as Mode);
  const ops = machineOps(mmu, () => desc);
  const machine = buildMachine(
    mmu,
    geometry(desc),
    engineSetup(input.setup as Record<string, unknown>),
  );
  const ctx = { arch: v.arch as Arch, mode: v.mode as Mode, config: {} as never, machine };
  const steps: StepObservation[] = input.steps.map((s) => {
    const op = ops[s.op];
    if (!op) throw new Error(`${s.op} is not a machine op`);
    return { kind: 'result', result: jsonValue(op(engineStep(s).args as OpArgs, ctx)) };
  });
  return judge(v, { kind: 'observed', steps }, REFERENCE_CHOICES);
}

const verdicts = (arch: Arch, mmu: ArchMmu) =>
  corpus.filter((v) => v.arch === arch).map((v) => ({ id: v.id, j: runWith(mmu, v) }));

const noTlb = (mmu: ArchMmu): ArchMmu => ({
  ...mmu,
  access: (m, cpu, g, va, t, p) => {
    const o = mmu.access(m, cpu, g, va, t, p);
    cpu.tlb = [];
    return o;
  },
});

const deafTo = (mmu: ArchMmu, names: string[]): ArchMmu => ({
  ...mmu,
  ops: Object.fromEntries(
    Object.entries(mmu.ops).map(([n, op]) => [n, names.includes(n) ? () => undefined : op]),
  ),
});

describe('TLB vectors against mutant MMUs', () => {
  const arches: Arch[] = ['x86_64', 'arm64', 'riscv64'];

  it.each(arches)('%s: the unmodified MMU passes through this harness', (arch) => {
    const bad = verdicts(arch, MMUS[arch]).filter((x) => x.j.verdict !== 'pass');
    expect(bad).toEqual([]);
  });

  it.each(arches)('%s: an MMU that caches nothing passes every vector (it is legal)', (arch) => {
    const bad = verdicts(arch, noTlb(MMUS[arch])).filter((x) => x.j.verdict !== 'pass');
    expect(bad.map((x) => x.id)).toEqual([]);
  });

  const deaf: [Arch, string[]][] = [
    ['x86_64', ['invlpg']],
    ['x86_64', ['invpcid']],
    ['arm64', ['tlbi']],
    ['riscv64', ['sfence_vma']],
  ];
  it.each(deaf)('%s: an MMU that ignores %s fails', (arch, names) => {
    const failed = verdicts(arch, deafTo(MMUS[arch], names)).filter((x) => x.j.verdict === 'fail');
    expect(failed.length).toBeGreaterThan(0);
  });

  it('x86_64: an MMU whose CR3 writes never flush fails', () => {
    const mmu = MMUS.x86_64;
    const keep: ArchMmu = {
      ...mmu,
      ops: {
        ...mmu.ops,
        write_cr3: (m, cpu, g, a) => {
          const tlb = cpu.tlb;
          mmu.ops.write_cr3!(m, cpu, g, a);
          cpu.tlb = tlb;
        },
      },
    };
    expect(verdicts('x86_64', keep).filter((x) => x.j.verdict === 'fail').length).toBeGreaterThan(
      0,
    );
  });

  it('arm64: an MMU whose broadcast TLBIs stay local fails', () => {
    const mmu = MMUS.arm64;
    const local: ArchMmu = {
      ...mmu,
      ops: {
        ...mmu.ops,
        tlbi: (m, cpu, g, a) =>
          mmu.ops.tlbi!({ ...m, cpus: [cpu] }, cpu, g, {
            ...a,
            type: String(a.type).replace(/is$/, ''),
          }),
      },
    };
    expect(verdicts('arm64', local).filter((x) => x.j.verdict === 'fail').length).toBeGreaterThan(
      0,
    );
  });
});
