// Every op the engine knows, per arch: the arch's helpers, the arch-independent swap/softleaf/marker
// ops over the arch's swap encoding, and decode/encode by the arch description.

import type { Arch, Mode } from './config.ts';
import { arm64Ops, arm64Swap } from './arch/arm64/ops.ts';
import { riscvOps, riscvSwap } from './arch/riscv64/ops.ts';
import { x86Ops, x86Swap } from './arch/x86_64/ops.ts';
import { UnsupportedError, VectorFormatError } from './errors.ts';
import { ARCH_DESCRIPTIONS } from './layout/descriptions.generated.ts';
import { decode, encode } from './layout/layout.ts';
import type { ModeDesc } from './layout/types.ts';
import type { ArchMmu } from './machine/arch.ts';
import { arm64Mmu } from './machine/arm64/mmu.ts';
import { machineOps } from './machine/ops.ts';
import { riscvMmu } from './machine/riscv64/mmu.ts';
import { x86Mmu } from './machine/x86_64/mmu.ts';
import { swapOps } from './mm/swapops.ts';
import { arm64HugePteOffset, genericHugePteOffset } from './mm/pagewalk.ts';
import { faultOps } from './mm/fault-ops.ts';
import { dirtyOps } from './mm/dirty-ops.ts';
import { uffdOps } from './mm/uffd-ops.ts';
import { munmapOps } from './mm/munmap-ops.ts';
import { pageattrOps, walkOps, type ArchLinux } from './mm/walk-ops.ts';
import { arm64Prot } from './arch/arm64/pgprot.ts';
import { riscvProt } from './arch/riscv64/pgprot.ts';
import { x86Prot } from './arch/x86_64/pgprot.ts';
import {
  handle_page_fault as x86PageFault,
  x86EntryForm,
  x86UserFault,
} from './arch/x86_64/fault.ts';
import {
  handle_page_fault as riscvPageFault,
  riscvEntryForm,
  riscvUserFault,
} from './arch/riscv64/fault.ts';
import { arm64EntryForm, arm64UserFault, do_mem_abort } from './arch/arm64/fault.ts';
import { arm64Upper } from './arch/arm64/pgalloc.ts';
import { riscvUpper } from './arch/riscv64/pgalloc.ts';
import { x86Upper } from './arch/x86_64/pgalloc.ts';
import { arg, checkForm, type ArgsForm } from './ops/args.ts';
import type { OpImpl, OpTable } from './ops/types.ts';

// The descriptions by arch, then mode: a lookup that builds no `${arch}-${mode}` key per call.
const BY_MODE = new Map<string, Map<string, ModeDesc>>();
for (const d of Object.values(ARCH_DESCRIPTIONS)) {
  if (!d) continue;
  const modes = BY_MODE.get(d.arch) ?? new Map<string, ModeDesc>();
  BY_MODE.set(d.arch, modes.set(d.mode, d));
}

export function modeDesc(arch: Arch, mode: Mode): ModeDesc {
  const d = BY_MODE.get(arch)?.get(mode);
  if (!d) throw new VectorFormatError(`${arch} has no mode "${mode}"`, '/mode');
  return d;
}

const layoutOps: OpTable = {
  decode: (a, ctx) =>
    decode(modeDesc(ctx.arch, ctx.mode), arg(a, 'level'), arg(a, 'value'), ctx.config),
  encode: (a, ctx) =>
    encode(
      modeDesc(ctx.arch, ctx.mode),
      arg(a, 'level'),
      arg(a, 'format'),
      arg(a, 'fields'),
      ctx.config,
    ),
};

const machine = (mmu: ArchMmu) => machineOps(mmu, (ctx) => modeDesc(ctx.arch, ctx.mode));
const desc = (ctx: Parameters<OpImpl>[1]) => modeDesc(ctx.arch, ctx.mode);
export const LINUX: Readonly<Record<Arch, ArchLinux>> = {
  x86_64: {
    upper: x86Upper,
    prot: x86Prot,
    pageFault: { op: 'handle_page_fault', entry: x86PageFault, user: x86UserFault, mmu: x86Mmu },
    huge: genericHugePteOffset,
    // PTE_PFN_MASK is bits 51:12 (kernel-facts §2.2).
    pteFlags: { lo: 0xfff, hi: 0xfff00000 },
    table: () => TABLES.x86_64,
    desc,
  },
  arm64: {
    upper: arm64Upper,
    prot: arm64Prot,
    pageFault: { op: 'do_mem_abort', entry: do_mem_abort, user: arm64UserFault, mmu: arm64Mmu },
    huge: arm64HugePteOffset,
    // The output address is bits 49:12 at most (PTE_ADDR_LOW; 52-bit OA is not modelled).
    pteFlags: { lo: 0xfff, hi: 0xfffc0000 },
    table: () => TABLES.arm64,
    desc,
  },
  riscv64: {
    upper: riscvUpper,
    prot: riscvProt,
    pageFault: {
      op: 'handle_page_fault',
      entry: riscvPageFault,
      user: riscvUserFault,
      mmu: riscvMmu,
    },
    huge: genericHugePteOffset,
    // The PPN is bits 53:10 (kernel-facts §4.1).
    pteFlags: { lo: 0x3ff, hi: 0xffc00000 },
    table: () => TABLES.riscv64,
    desc,
  },
};

// The page-fault entry takes the fault as the arch's hardware reports it: a form per arch.
const ENTRY_FORMS: Readonly<Record<Arch, ArgsForm>> = {
  x86_64: x86EntryForm,
  arm64: arm64EntryForm,
  riscv64: riscvEntryForm,
};

/** A step of the arch's page-fault entry whose args are not the arch's form is a format error. */
export function checkEntryArgs(arch: Arch, op: string, args: object): void {
  const form = ENTRY_FORMS[arch];
  if (op === form.op) checkForm(form, args, Object.values(ENTRY_FORMS));
}

/** faultOps, its entry checking the form of its args before it reads them. */
function checkedFaultOps(arch: Arch): OpTable {
  const ops = faultOps(LINUX[arch]);
  const { op } = ENTRY_FORMS[arch];
  const entry = ops[op]!;
  return {
    ...ops,
    [op]: (a, ctx) => {
      checkEntryArgs(arch, op, a);
      return entry(a, ctx);
    },
  };
}

const TABLES: Readonly<Record<Arch, OpTable>> = {
  x86_64: {
    ...x86Ops,
    ...swapOps(x86Swap),
    ...layoutOps,
    ...machine(x86Mmu),
    ...walkOps(LINUX.x86_64),
    ...checkedFaultOps('x86_64'),
    ...dirtyOps(LINUX.x86_64),
    ...uffdOps(LINUX.x86_64),
    ...munmapOps(LINUX.x86_64),
  },
  arm64: {
    ...arm64Ops,
    ...swapOps(arm64Swap),
    ...layoutOps,
    ...machine(arm64Mmu),
    ...walkOps(LINUX.arm64),
    ...checkedFaultOps('arm64'),
    ...dirtyOps(LINUX.arm64),
    ...uffdOps(LINUX.arm64),
    ...munmapOps(LINUX.arm64),
    ...pageattrOps(LINUX.arm64),
  },
  riscv64: {
    ...riscvOps,
    ...swapOps(riscvSwap),
    ...layoutOps,
    ...machine(riscvMmu),
    ...walkOps(LINUX.riscv64),
    ...checkedFaultOps('riscv64'),
    ...dirtyOps(LINUX.riscv64),
    ...uffdOps(LINUX.riscv64),
    ...munmapOps(LINUX.riscv64),
  },
};

export const MMUS: Readonly<Record<Arch, ArchMmu>> = {
  x86_64: x86Mmu,
  arm64: arm64Mmu,
  riscv64: riscvMmu,
};

// The tables as Maps, for lookupOp (a Map lookup by name is cheaper than an own-property test).
const OP_MAPS: Readonly<Record<Arch, ReadonlyMap<string, OpImpl>>> = {
  x86_64: new Map(Object.entries(TABLES.x86_64)),
  arm64: new Map(Object.entries(TABLES.arm64)),
  riscv64: new Map(Object.entries(TABLES.riscv64)),
};

export function lookupOp(arch: Arch, op: string): OpImpl {
  const impl = OP_MAPS[arch].get(op);
  if (!impl) throw new UnsupportedError(`${op} is not defined on ${arch}`);
  return impl;
}

/** The CpuFeatures keys of an arch and their defaults. */
export function cpuFeatures(arch: Arch): Readonly<Record<string, boolean | number>> {
  return MMUS[arch].features;
}

/** The ops an arch defines, for `ptvec lint` and the protocol's hello. */
export function opsOf(arch: Arch): readonly string[] {
  return Object.keys(TABLES[arch]).sort();
}
