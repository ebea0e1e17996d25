// The mmu and tlb families' ops over a vector's machine: accesses, memory words, feature changes, and
// each arch's own instructions.

import { VectorFormatError } from '../errors.ts';
import type { ModeDesc } from '../layout/types.ts';
import { arg } from '../ops/args.ts';
import type { OpArgs, OpContext, OpImpl, OpTable } from '../ops/types.ts';
import type { ArchMmu, MachineOp } from './arch.ts';
import { checkFeatures } from './builder.ts';
import { geometry, type Geometry } from './geometry.ts';
import { paNumber } from './memory.ts';
import type { Cpu, Machine } from './types.ts';

type Env = { m: Machine; cpu: Cpu; g: Geometry };

function env(a: OpArgs, ctx: OpContext, desc: (ctx: OpContext) => ModeDesc): Env {
  const m = ctx.machine;
  if (!m) throw new VectorFormatError('this op needs a vector `setup`', '/setup');
  const i = a.cpu ?? 0;
  const cpu = m.cpus[i];
  if (!cpu) throw new VectorFormatError(`there is no cpu ${i} in setup.cpus`, '/args/cpu');
  return { m, cpu, g: geometry(desc(ctx)) };
}

function wordPa(a: OpArgs, m: Machine): number {
  const pa = paNumber(arg(a, 'pa'), '/args/pa');
  if (pa % 8 !== 0 || !m.mem.contains(pa, 8))
    throw new VectorFormatError(
      'expected an 8-byte aligned address inside setup.memory',
      '/args/pa',
    );
  return pa;
}

export function machineOps(mmu: ArchMmu, desc: (ctx: OpContext) => ModeDesc): OpTable {
  const wrap =
    (op: MachineOp): OpImpl =>
    (a, ctx) => {
      const { m, cpu, g } = env(a, ctx, desc);
      const r = op(m, cpu, g, a);
      return r === undefined ? null : r;
    };
  const table: Record<string, OpImpl> = {
    access: (a, ctx) => {
      const { m, cpu, g } = env(a, ctx, desc);
      return mmu.access(m, cpu, g, arg(a, 'va'), arg(a, 'access'), arg(a, 'priv'));
    },
    read: (a, ctx) => {
      const { m } = env(a, ctx, desc);
      return m.mem.read64(wordPa(a, m));
    },
    write: (a, ctx) => {
      const { m } = env(a, ctx, desc);
      m.mem.write64(wordPa(a, m), arg(a, 'value'));
      return null;
    },
    set_features: wrap((_m, cpu, g, a) => {
      const given = arg(a, 'features');
      checkFeatures(mmu, g, given, '/args/features');
      const before = { ...cpu.features };
      Object.assign(cpu.features, given);
      mmu.featuresChanged(cpu, before);
    }),
  };
  for (const [name, op] of Object.entries(mmu.ops)) table[name] = wrap(op);
  return table;
}
