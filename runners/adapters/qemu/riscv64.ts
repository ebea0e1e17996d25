// qemu-system-riscv64 (virt, TCG) as a page-table implementation: the bare-metal harness of
// harness/qemu/riscv64/ runs the operations riscv64-encode.ts makes of a vector, and the words it
// reports (mcause, mepc, mtval, the loaded byte, stamps and entries read back) become the
// observation here. Every walk, permission check, A/D update and TLB decision is QEMU's.

import type { StepObservation, VectorInput, VectorObservation } from '../../adapter.ts';
import {
  riscv64Cpus,
  riscv64Encode,
  riscv64NotCovered,
  riscv64Variant,
  type Plan,
  type Riscv64State,
} from './riscv64-encode.ts';
import {
  BLOB_PA,
  CAUSE,
  FAULT_CAUSES,
  HARTS_PA,
  MAX_HARTS,
  NO_TRAP,
  fetchStamp,
  LOAD_STAMP,
  RAM_BASE,
  RAM_SIZE,
  REGION_BYTES,
  RESULT_PA,
  STORE_BYTE,
  WINDOW_END,
} from './riscv64-ops.ts';
import { hex64 as hex, translatedAt, updatesOf, wordReader } from './observe.ts';
import { HEADLESS } from './launch.ts';
import type { QemuTarget } from './target.ts';

/** The cross-arch class of a trap; page faults do not tell which (the comparer leaves it out). */
function classOf(cause: bigint): string {
  if (cause === CAUSE.fetchMisaligned) return 'alignment';
  if (cause === CAUSE.fetchAccess || cause === CAUSE.loadAccess || cause === CAUSE.storeAccess)
    return 'access';
  return 'translation';
}

type AccessPlan = Extract<Plan, { op: 'access' }>;

function decodeAccess(p: AccessPlan, next: () => bigint): StepObservation {
  const before = p.path.map(next);
  const cause = next();
  const epc = next();
  const tval = next();
  const loaded = next();
  const readback = p.stamped.map(next);
  const after = p.path.map(next);
  const updates = updatesOf(p.path, before, after);
  if (!p.adue && updates.length)
    return {
      kind: 'unsupported',
      reason:
        'QEMU 7.2 has no Svade: it set A or D in hardware where menvcfg.ADUE=0 asks for a page fault (priv §12.3.2 step 9, Svade)',
    };
  const faulted = FAULT_CAUSES.has(cause) && (p.mprv || epc === p.pc);
  if (faulted)
    return {
      kind: 'result',
      result: {
        fault: {
          class: classOf(cause),
          level: null,
          report: { scause: Number(cause), stval: hex(tval) },
        },
        updates,
      },
    };
  // A fetch that did not fault ran whatever it found (a stamp traps at once as illegal).
  const done =
    p.kind === 'fetch' ||
    (p.mprv ? cause === NO_TRAP : cause === CAUSE.ecallS || cause === CAUSE.ecallU);
  if (!done)
    return {
      kind: 'result',
      result: { trap: { mcause: Number(cause), mepc: hex(epc), mtval: hex(tval) }, updates },
    };
  const hit = p.stamped.findIndex((c, k) => {
    if (p.kind === 'load') return loaded === LOAD_STAMP + BigInt(k);
    if (p.kind === 'fetch')
      return cause === CAUSE.illegal && epc === p.va && tval === fetchStamp(k);
    return ((readback[k]! >> ((c.pa & 7n) * 8n)) & 0xffn) === STORE_BYTE;
  });
  return { kind: 'result', result: translatedAt(p.stamped[hit], updates) };
}

function decode(v: VectorInput, state: Riscv64State, out: BigUint64Array): VectorObservation {
  const { next, finish } = wordReader(out);
  const steps = state.plans.map((p): StepObservation => {
    if (p.op === 'none') return { kind: 'result', result: null };
    if (p.op === 'read') return { kind: 'result', result: hex(next()) };
    return decodeAccess(p, next);
  });
  finish();
  return { kind: 'observed', steps };
}

export const riscv64Target: QemuTarget<Riscv64State> = {
  arch: 'riscv64',
  binary: 'qemu-system-riscv64',
  harness: 'riscv64.elf',
  layout: {
    ram: [{ pa: RAM_BASE, size: RAM_SIZE, fileOffset: 0n }],
    vectors: { lo: RAM_BASE, hi: WINDOW_END },
    blob: { pa: BLOB_PA, bytes: REGION_BYTES },
    result: { pa: RESULT_PA, bytes: REGION_BYTES },
  },
  maxCpus: MAX_HARTS,
  args: (o) => [
    '-M',
    'virt,memory-backend=m',
    '-object',
    `memory-backend-file,id=m,size=${RAM_SIZE >> 20n}M,mem-path=${o.ram},share=on`,
    '-m',
    `${RAM_SIZE >> 20n}M`,
    '-smp',
    String(o.cpus),
    // svpbmt and svnapot only for the vectors that ask for them: riscv64-encode.ts (PROPERTY).
    '-cpu',
    o.variant ? `rv64,${o.variant}` : 'rv64',
    '-device',
    `loader,addr=0x${HARTS_PA.toString(16)},data=${o.cpus},data-len=8`,
    '-bios',
    'none',
    '-kernel',
    o.harness,
    ...HEADLESS,
  ],
  // The SiFive test device exits with the code written above 0x3333 (0 for 0x5555).
  harnessExit: (status) => status,
  // QEMU 7.2 has no Svade: the hardware always sets A and D (priv Svadu behaviour).
  choices: { riscvAD: 'hardware' },
  // scause says page fault without saying why, and nothing reports the leaf's level.
  unobserved: { access: ['/fault/class', '/fault/level', '/translated/level'] },
  notCovered: riscv64NotCovered,
  variant: riscv64Variant,
  cpus: riscv64Cpus,
  encode: riscv64Encode,
  decode,
};
