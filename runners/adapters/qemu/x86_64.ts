// qemu-system-x86_64 (-M pc, -cpu max, TCG) as a page-table implementation: the bare-metal harness
// of harness/qemu/x86_64/ runs the operations x86_64-encode.ts makes of a vector, and the words it
// reports (exception vector, error code, CR2, RIP, RAX, stamps and entries read back) become the
// observation here. Every walk, permission check, A/D update and TLB decision is QEMU's.

import type { Json, StepObservation, VectorInput, VectorObservation } from '../../adapter.ts';
import { HEADLESS } from './launch.ts';
import type { QemuTarget } from './target.ts';
import {
  BLOB,
  FETCH_REG,
  HIGH_RAM,
  LOAD_TAG,
  LOW_RAM,
  MAXPHYADDR,
  maxPhyAddr,
  RESULT,
  STORE_BYTE,
  WINDOW,
  x86Cpus,
  x86Encode,
  x86NotCovered,
  type Plan,
  type X86State,
} from './x86_64-encode.ts';
import { hex64 as hex, translatedAt, updatesOf, wordReader } from './observe.ts';

const hex4 = (x: bigint): string => `0x${(x & 0xffffn).toString(16).padStart(4, '0')}`;
const MASK64 = (1n << 64n) - 1n;

const VEC = { DB: 1n, BP: 3n, GP: 13n, PF: 14n } as const;
const ERR_P = 1n;
const ERR_RSVD = 8n;

/** #GP(0) or the vector's exception from a status word (x86_64.h: 1<<63 | vector<<32 | code). */
function instructionResult(status: bigint): Json | Error {
  if (status === 0n) return null;
  const vector = (status >> 32n) & 0xffn;
  if (vector === VEC.GP) return { exception: '#GP', errorCode: hex4(status) };
  return new Error(`the instruction raised exception ${vector} (error code ${hex4(status)})`);
}

/** The class the error code points to; the comparer leaves the class out (unobserved). */
function pfClass(err: bigint): string {
  if (err & ERR_RSVD) return 'reserved';
  return err & ERR_P ? 'permission' : 'translation';
}

type AccessPlan = Extract<Plan, { op: 'access' }>;

function decodeAccess(p: AccessPlan, next: () => bigint): StepObservation | Error {
  const before = p.path.map(next);
  const vector = next();
  const err = next();
  const cr2 = next();
  const rip = next();
  const rax = next();
  next(); // DR6
  const done = next() === 1n;
  const readback = p.stamps.map(next);
  const after = p.path.map(next);
  const updates = updatesOf(p.path, before, after);
  const fault = (report: Json, cls: string): StepObservation => ({
    kind: 'result',
    result: { fault: { class: cls, level: null, report }, updates },
  });
  if (vector === VEC.PF && (p.kind !== 'fetch' || cr2 === p.va))
    return fault({ exception: '#PF', errorCode: hex4(err), cr2: hex(cr2) }, pfClass(err));
  // A fetch takes #GP only from a non-canonical VA; at a canonical one the fetched instruction did.
  if (vector === VEC.GP && (p.kind !== 'fetch' || !p.canonical))
    return fault({ exception: '#GP', errorCode: hex4(err) }, 'non-canonical');
  // A fetch that did not fault ran one instruction (RFLAGS.TF): a stamp ends in the single-step
  // #DB; anything else it ran is still a completed fetch, from a place no stamp was.
  const completed = p.kind === 'fetch' || done;
  if (!completed)
    return new Error(
      `the ${p.kind} of ${hex(p.va)} ended in exception ${vector} (error code ${hex4(err)}, RIP ${hex(rip)})`,
    );
  const hit = p.stamps.findIndex((c, k) => {
    if (p.kind === 'load') return (rax & 0xffn) === LOAD_TAG + BigInt(k);
    if (p.kind === 'fetch')
      return (
        vector === VEC.DB && rip === ((p.va + 1n) & MASK64) && (rax & 0xffffffffn) === FETCH_REG[k]
      );
    return ((readback[k]! >> ((c.pa & 7n) * 8n)) & 0xffn) === STORE_BYTE;
  });
  return { kind: 'result', result: translatedAt(p.stamps[hit], updates) };
}

function decode(v: VectorInput, state: X86State, out: BigUint64Array): VectorObservation {
  const { next, finish } = wordReader(out);
  for (let k = 0; k < state.pre; k++) {
    const r = instructionResult(next());
    if (r !== null)
      return {
        kind: 'error',
        reason: `the setup's MOV to CR4/CR3 did not complete: ${r instanceof Error ? r.message : JSON.stringify(r)}`,
      };
  }
  const steps: StepObservation[] = [];
  for (const [k, p] of state.plans.entries()) {
    let o: StepObservation | Error;
    switch (p.op) {
      case 'none':
        o = { kind: 'result', result: null };
        break;
      case 'read':
        o = { kind: 'result', result: hex(next()) };
        break;
      case 'status': {
        const r = instructionResult(next());
        o = r instanceof Error ? r : { kind: 'result', result: r };
        break;
      }
      case 'invpcid': {
        const status = next();
        o =
          status === 0n
            ? { kind: 'result', result: null }
            : ((status >> 32n) & 0xffn) === 6n
              ? {
                  kind: 'unsupported',
                  reason:
                    'INVPCID is #UD on QEMU 7.2 TCG (-cpu max offers no INVPCID: CPUID.(EAX=07H,ECX=0):EBX[10]=0)',
                }
              : new Error(`INVPCID raised exception ${(status >> 32n) & 0xffn}`);
        break;
      }
      case 'access':
        o = decodeAccess(p, next);
        break;
    }
    if (o instanceof Error)
      return { kind: 'error', reason: `step ${k} (${v.steps[k]!.op}): ${o.message}` };
    steps.push(o);
  }
  finish();
  return { kind: 'observed', steps };
}

export const x86_64Target: QemuTarget<X86State> = {
  arch: 'x86_64',
  binary: 'qemu-system-x86_64',
  harness: 'x86_64.elf',
  layout: {
    ram: [
      { pa: 0n, size: LOW_RAM, fileOffset: 0n },
      { pa: HIGH_RAM.pa, size: HIGH_RAM.size, fileOffset: LOW_RAM },
    ],
    vectors: WINDOW,
    blob: BLOB,
    result: RESULT,
  },
  maxCpus: 2,
  // QEMU's reserved-bit checks follow phys-bits (measured: 36, 40 and 52 all boot under TCG).
  variant: (v) => {
    const m = maxPhyAddr(v);
    return m === undefined || m === MAXPHYADDR ? undefined : `phys-bits=${m}`;
  },
  args: ({ harness, ram, cpus, variant }) => [
    '-M',
    'pc,memory-backend=m',
    '-object',
    `memory-backend-file,id=m,size=5G,mem-path=${ram},share=on`,
    '-m',
    '5G',
    '-cpu',
    `max,${variant ?? `phys-bits=${MAXPHYADDR}`}`,
    '-smp',
    String(cpus),
    '-bios',
    '/usr/share/qemu/qboot.rom',
    '-kernel',
    harness,
    '-device',
    'isa-debug-exit,iobase=0xf4,iosize=4',
    ...HEADLESS,
    '-no-reboot',
  ],
  // isa-debug-exit: QEMU exits with (value << 1) | 1.
  harnessExit: (status) => status >> 1,
  choices: {},
  unobserved: { access: ['/fault/class', '/fault/level', '/translated/level'] },
  notCovered: x86NotCovered,
  cpus: x86Cpus,
  encode: x86Encode,
  decode,
};
