// qemu-system-aarch64 (virt, -cpu max, TCG) as a page-table implementation: the bare-metal harness
// of harness/qemu/arm64/ runs the operations arm64-encode.ts makes of a vector at EL1 (EL0 accesses
// really run at EL0), and the words it reports (whether an exception was taken, ESR_EL1, FAR_EL1,
// ELR_EL1, the loaded byte, stamps and descriptors read back) become the observation here. Every
// walk, permission check, AF/DBM update and TLB decision is QEMU's.

import type { StepObservation, VectorInput, VectorObservation } from '../../adapter.ts';
import { archDescriptions } from '../../arch.ts';
import {
  arm64Cpus,
  arm64Encode,
  arm64NotCovered,
  BLOB_BYTES,
  BLOB_PA,
  brkIndex,
  loadStamp,
  RAM_BASE,
  RAM_SIZE,
  RESULT_BYTES,
  RESULT_PA,
  STORE_BYTE,
  WINDOW_END,
  type Arm64State,
  type Plan,
} from './arm64-encode.ts';
import { hex64 as hex, translatedAt, wordReader } from './observe.ts';
import { HEADLESS } from './launch.ts';
import type { QemuTarget } from './target.ts';

const hex2 = (x: bigint): string => `0x${x.toString(16).padStart(2, '0')}`;

/** ESR_EL1.EC values (Arm ARM, ESR_EL1 register description). */
const EC = {
  svc64: 0x15n,
  brk: 0x3cn,
  iabtLower: 0x20n,
  iabtSame: 0x21n,
  pcAlign: 0x22n,
  dabtLower: 0x24n,
  dabtSame: 0x25n,
};
const FETCH_ABORTS = new Set([EC.iabtLower, EC.iabtSame, EC.pcAlign]);
const DATA_ABORTS = new Set([EC.dabtLower, EC.dabtSame]);

/**
 * The cross-arch class and level the FSC suggests (DFSC/IFSC encodings of ESR_EL1). The ESR does
 * not tell a VA out of range from an invalid level-0 descriptor, a TTBR beyond PS from a level-0
 * descriptor beyond PS, or which leaf an external abort on the access came through, so the comparer
 * leaves class and level out (`unobserved`); these are for the report only.
 */
function classify(v: VectorInput, ec: bigint, fsc: bigint): { cls: string; level: string | null } {
  const levels = archDescriptions().get(`arm64-${v.mode}`)?.levels ?? [];
  const at = (n: bigint): string | null => levels.find((l) => l.arch === `L${n}`)?.linux ?? null;
  if (ec === EC.pcAlign) return { cls: 'alignment', level: null };
  if (fsc === 0x10n) return { cls: 'external-abort', level: levels.at(-1)?.linux ?? null };
  if (fsc >= 0x14n && fsc <= 0x17n) return { cls: 'external-abort', level: at((fsc & 3n) - 1n) };
  const cls = ['address-size', 'translation', 'access-flag', 'permission'][Number(fsc >> 2n)];
  return { cls: cls ?? `fsc ${hex2(fsc)}`, level: at(fsc & 3n) };
}

type AccessPlan = Extract<Plan, { op: 'access' }>;

function decodeAccess(v: VectorInput, p: AccessPlan, next: () => bigint): StepObservation {
  const taken = next();
  const esr = next();
  const far = next();
  const elr = next();
  const loaded = next();
  const readback = p.stamps.map(next);
  const updates: { pa: string; value: string }[] = [];
  for (const e of p.path) {
    const before = next();
    const after = next();
    if (after !== before) updates.push({ pa: hex(e.pa), value: hex(after) });
  }
  const ec = esr >> 26n;
  // A fetch's own abort returns to the VA; a load or store can only abort in its one instruction.
  const abort =
    taken === 1n &&
    (p.access === 'fetch' ? FETCH_ABORTS.has(ec) && elr === p.va : DATA_ABORTS.has(ec));
  if (abort) {
    const fsc = ec === EC.pcAlign ? 0n : esr & 0x3fn;
    const { cls, level } = classify(v, ec, fsc);
    const data = DATA_ABORTS.has(ec);
    const report = {
      ec: hex2(ec),
      fsc: hex2(fsc),
      ...(data ? { wnr: ((esr >> 6n) & 1n) === 1n } : {}),
      far: hex(far),
    };
    return { kind: 'result', result: { fault: { class: cls, level, report }, updates } };
  }
  // Completed: an EL1 load/store returns, an EL0 one ends in its SVC, a fetch runs what it found.
  const done =
    p.access === 'fetch'
      ? taken === 1n && elr === p.va
      : p.user
        ? taken === 1n && ec === EC.svc64
        : taken === 0n;
  if (!done)
    return {
      kind: 'result',
      result: {
        exception: { esr: hex(esr), far: hex(far), elr: hex(elr), taken: taken === 1n },
        updates,
      },
    };
  const hit = p.stamps.findIndex((_, k) => {
    if (p.access === 'load') return loaded === loadStamp(k);
    if (p.access === 'fetch') return ec === EC.brk && brkIndex(esr & 0xffffn) === k;
    return readback[k] === STORE_BYTE;
  });
  return { kind: 'result', result: translatedAt(p.stamps[hit], updates) };
}

function decode(v: VectorInput, state: Arm64State, out: BigUint64Array): VectorObservation {
  const { next, finish } = wordReader(out);
  const steps = state.plans.map((p): StepObservation => {
    if (p.op === 'none') return { kind: 'result', result: null };
    if (p.op === 'read') return { kind: 'result', result: hex(next()) };
    return decodeAccess(v, p, next);
  });
  finish();
  return { kind: 'observed', steps };
}

export const arm64Target: QemuTarget<Arm64State> = {
  arch: 'arm64',
  binary: 'qemu-system-aarch64',
  harness: 'arm64.elf',
  layout: {
    ram: [{ pa: RAM_BASE, size: RAM_SIZE, fileOffset: 0n }],
    vectors: { lo: RAM_BASE, hi: WINDOW_END },
    blob: { pa: BLOB_PA, bytes: BLOB_BYTES },
    result: { pa: RESULT_PA, bytes: RESULT_BYTES },
  },
  maxCpus: 2,
  args: (o) => [
    '-M',
    // GICv2: CPU 0 wakes CPU 1 from WFI with an SGI (arch.c).
    'virt,gic-version=2,memory-backend=m',
    '-object',
    `memory-backend-file,id=m,size=${RAM_SIZE >> 20n}M,mem-path=${o.ram},share=on`,
    '-m',
    `${RAM_SIZE >> 20n}M`,
    '-smp',
    String(o.cpus),
    '-cpu',
    'max',
    '-semihosting-config',
    'enable=on,target=native',
    '-kernel',
    o.harness,
    ...HEADLESS,
  ],
  // Semihosting SYS_EXIT (ADP_Stopped_ApplicationExit) exits QEMU with the harness's code.
  harnessExit: (status) => status,
  // -cpu max reports ID_AA64MMFR0_EL1.PARange = 0b0110 (52 bits), so a 64K-granule level-1 block
  // is allowed (Arm ARM AArch64.BlockDescSupported).
  choices: { arm64PAMax: '52' },
  // ESR_EL1 reports the FSC, not the suite's class or the Linux level (classify), and nothing
  // reports the leaf's level on success.
  unobserved: { access: ['/fault/class', '/fault/level', '/translated/level'] },
  notCovered: arm64NotCovered,
  cpus: arm64Cpus,
  encode: arm64Encode,
  decode,
};
