// A riscv64 vector as harness operations. The harness runs in M-mode and makes each access from S-
// or U-mode: a fetch by an mret to the VA, a load or store by an mret to a stub page that this
// encoder maps into a free slot of every root the vector uses (a root-level leaf, X only, A set),
// so that the accesses run in the mode they name and QEMU's TLB is not flushed between them (QEMU
// flushes on an MPRV change; MPRV is only the fallback for a root outside setup.memory). Where the
// byte went is seen through stamps written into each candidate PA; what the hardware wrote is seen
// by reading every entry of the walk before and after.

import type { VectorInput } from '../../adapter.ts';
import { archDescriptions } from '../../arch.ts';
import { build, candidates, walkPath, WordMemory, type Memory } from './builder.ts';
import {
  fetchStamp,
  LOAD_STAMP,
  MAX_CANDIDATES,
  MENVCFG_PBMTE,
  MSTATUS_MXR,
  MSTATUS_SUM,
  op,
  PTE,
  RAM_BASE,
  SATP_MODE,
  STORE_STAMP,
  STUB_PA,
  STUB_STORE,
  WINDOW_END,
  type AccessKind,
} from './riscv64-ops.ts';
import { cpuFeatureDefaults } from '../../protocol/negotiate.ts';
import type { Stamp } from './observe.ts';
import type { BlobWriter, Encoded } from './target.ts';

export interface Features {
  readonly SUM: boolean;
  readonly MXR: boolean;
  readonly ADUE: boolean;
  readonly PBMTE: boolean;
}

export type Plan =
  | { readonly op: 'none' }
  | { readonly op: 'read' }
  | {
      readonly op: 'access';
      readonly kind: AccessKind;
      readonly va: bigint;
      readonly pc: bigint;
      /** Made by M-mode with MPRV: no trap is success, a trap's mepc is the harness's. */
      readonly mprv: boolean;
      readonly path: readonly bigint[];
      /** The stamped candidates, in the order of their stamps. */
      readonly stamped: readonly Stamp[];
      readonly adue: boolean;
    };

export interface Riscv64State {
  readonly plans: readonly Plan[];
}

interface CpuJson {
  readonly root?: unknown;
  readonly asid?: number;
  readonly features?: Readonly<Record<string, boolean | number>>;
}
interface SetupJson {
  readonly memory: { readonly base: string; readonly size: string };
  readonly cpus?: readonly CpuJson[];
}
type Args = Readonly<Record<string, unknown>>;

const hex = (x: bigint): string => `0x${x.toString(16).padStart(16, '0')}`;
const setupOf = (v: VectorInput): SetupJson => v.setup as unknown as SetupJson;
const argsOf = (s: { readonly args: unknown }): Args => (s.args ?? {}) as Args;

/** Features QEMU 7.2 cannot take from the guest, with the reason, when set to a non-default value. */
const FIXED: Readonly<Record<string, { readonly normal: boolean; readonly why: string }>> = {
  Svrsw60t59b: { normal: false, why: 'Svrsw60t59b=true: QEMU 7.2 does not implement Svrsw60t59b' },
  C: {
    normal: true,
    why: 'C=false: misa is read-only in QEMU 7.2; only the CPU property c=off clears misa.C, for the whole process',
  },
};
/**
 * Extensions QEMU 7.2 only turns on with a CPU property, for the whole process: a vector that sets
 * one runs in a QEMU started with it (the target's variant). Not for every vector: with either
 * property QEMU 7.2 ignores PTE bits 63:54 (N, PBMT, reserved 60:54) where they should fault (QEMU
 * commit 882035d), so the vectors that do not ask for them run without.
 */
const PROPERTY: Readonly<Record<string, string>> = { Svnapot: 'svnapot=on', PBMTE: 'svpbmt=on' };

/** The CPU properties the vector's features need (riscv64Variant). */
export function riscv64Variant(v: VectorInput): string | undefined {
  const on = new Set<string>();
  const add = (f: Readonly<Record<string, unknown>> | undefined): void => {
    for (const [k, x] of Object.entries(f ?? {}))
      if (x === true && PROPERTY[k]) on.add(PROPERTY[k]);
  };
  for (const c of setupOf(v).cpus ?? []) add(c.features);
  for (const step of v.steps)
    if (step.op === 'set_features') add(argsOf(step).features as Readonly<Record<string, unknown>>);
  return on.size ? [...on].sort().join(',') : undefined;
}
// Svnapot and PBMTE come with the variant's CPU property; PBMTE is then menvcfg.PBMTE.
const SETTABLE = new Set(['SUM', 'MXR', 'ADUE', 'PBMTE', 'Svnapot']);
const OPS = new Set(['access', 'read', 'write', 'write_satp', 'sfence_vma', 'set_features']);

function featureProblem(f: Readonly<Record<string, unknown>> | undefined): string | undefined {
  for (const [k, x] of Object.entries(f ?? {})) {
    const fixed = FIXED[k];
    if (fixed && x !== fixed.normal) return fixed.why;
    if (!fixed && !SETTABLE.has(k)) return `the feature ${k} is not a riscv64 feature QEMU runs`;
  }
  return undefined;
}

const inWindow = (pa: bigint, bytes: bigint, lo: bigint, hi: bigint): boolean =>
  pa >= lo && pa + bytes <= hi;

/** Why the harness cannot run the vector, if it cannot (static: decided before encoding). */
export function riscv64NotCovered(v: VectorInput): string | undefined {
  if (!v.setup) return 'the vector has no setup';
  if (SATP_MODE[v.mode] === undefined) return `mode ${v.mode} is not a riscv64 satp mode`;
  const s = setupOf(v);
  const base = BigInt(s.memory.base);
  const end = base + BigInt(s.memory.size);
  if (base < RAM_BASE || end > WINDOW_END)
    return `setup.memory [${hex(base)},${hex(end)}) is not inside the guest RAM QEMU gives vectors ([${hex(RAM_BASE)},${hex(WINDOW_END)}))`;
  for (const c of s.cpus ?? []) {
    const why = featureProblem(c.features);
    if (why) return why;
  }
  for (const step of v.steps) {
    if (!OPS.has(step.op)) return `the step op ${step.op} is not a riscv64 hardware op`;
    const a = argsOf(step);
    for (const x of Object.values(a))
      if (typeof x === 'object' && x !== null && 'step' in x)
        return 'a step argument names an earlier step; the harness takes literal values';
    if (step.op === 'set_features') {
      const f = a.features as Readonly<Record<string, unknown>>;
      // Svnapot is fixed when QEMU starts: a step cannot change it.
      if (f.Svnapot !== undefined)
        return 'a step sets Svnapot; QEMU 7.2 fixes it at start-up (svnapot=on)';
      const why = featureProblem(f);
      if (why) return why;
    }
    if (
      (step.op === 'read' || step.op === 'write') &&
      !inWindow(BigInt(a.pa as string), 8n, base, end)
    )
      return `the ${step.op} of ${a.pa as string} is outside setup.memory`;
    if (step.op === 'access' && a.access === 'fetch' && (BigInt(a.va as string) & 1n) === 1n)
      return 'a fetch at an odd VA: with C no instruction can put an odd value in the pc (jalr, mret and branches keep bit 0 clear), so QEMU cannot be asked';
  }
  return undefined;
}

export function riscv64Cpus(v: VectorInput): number {
  const s = setupOf(v);
  let n = Math.max(1, s.cpus?.length ?? 1);
  for (const step of v.steps) {
    const cpu = argsOf(step).cpu;
    if (typeof cpu === 'number') n = Math.max(n, cpu + 1);
  }
  return n;
}

function describe(v: VectorInput) {
  const d = archDescriptions().get(`${v.arch}-${v.mode}`);
  if (!d) throw new Error(`no arch description for ${v.arch} ${v.mode}`);
  return d;
}

const featuresOf = (f: Readonly<Record<string, unknown>> | undefined, was: Features): Features => ({
  SUM: typeof f?.SUM === 'boolean' ? f.SUM : was.SUM,
  MXR: typeof f?.MXR === 'boolean' ? f.MXR : was.MXR,
  ADUE: typeof f?.ADUE === 'boolean' ? f.ADUE : was.ADUE,
  PBMTE: typeof f?.PBMTE === 'boolean' ? f.PBMTE : was.PBMTE,
});
/** The reset value of each feature the harness sets, from the schema (CpuFeatures defaults). */
function defaults(): Features {
  const d = cpuFeatureDefaults();
  const of = (k: keyof Features): boolean => d.get(k) === true;
  return { SUM: of('SUM'), MXR: of('MXR'), ADUE: of('ADUE'), PBMTE: of('PBMTE') };
}

function status(w: BlobWriter, hart: number, f: Features): void {
  op.status(
    w,
    hart,
    (f.SUM ? MSTATUS_SUM : 0n) | (f.MXR ? MSTATUS_MXR : 0n),
    f.PBMTE ? MENVCFG_PBMTE : 0n,
  );
}

function copy(m: Memory): WordMemory {
  const out = new WordMemory();
  for (const pa of m.keys()) out.set(pa, m.get(pa));
  return out;
}

interface Hart {
  root: bigint;
  asid: bigint;
  features: Features;
  /** Roots this hart used before, newest first: its TLB may still hold their translations. */
  readonly oldRoots: bigint[];
}

export function riscv64Encode(v: VectorInput, w: BlobWriter): Encoded<Riscv64State> {
  const why = riscv64NotCovered(v);
  if (why) return { ok: false, unsupported: why };
  const d = describe(v);
  const s = setupOf(v);
  const base = BigInt(s.memory.base);
  const end = base + BigInt(s.memory.size);
  const built = build(v);
  const mem = copy(built.mem);
  const mode = SATP_MODE[v.mode]!;
  const top = d.levels[0]!;
  const [hi, lo] = top.indexBits;
  const slotOf = (va: bigint): bigint => (va >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
  const steps = v.steps.map((st) => ({
    op: st.op,
    a: argsOf(st),
    cpu: Number(argsOf(st).cpu ?? 0),
  }));
  const harts: Hart[] = Array.from({ length: riscv64Cpus(v) }, (_, n) => {
    const c = s.cpus?.[n];
    return {
      root: built.root(c?.root),
      asid: BigInt(c?.asid ?? 0),
      features: featuresOf(c?.features, defaults()),
      oldRoots: [],
    };
  });

  // The stub: a root-level leaf in a slot no access, read, write or setup word uses, in every root.
  const roots = new Set([
    ...harts.map((h) => h.root),
    ...steps.filter((x) => x.op === 'write_satp').map((x) => built.root(x.a.root)),
  ]);
  const busySlots = new Set<bigint>();
  const busyWords = new Set<bigint>(mem.keys());
  for (const x of steps) {
    if (x.op === 'access') busySlots.add(slotOf(BigInt(x.a.va as string)));
    if (x.op === 'read' || x.op === 'write') busyWords.add(BigInt(x.a.pa as string));
  }
  const dataModes = new Set(
    steps.filter((x) => x.op === 'access' && x.a.access !== 'fetch').map((x) => x.a.priv as string),
  );
  const stubVa = new Map<string, bigint>();
  const leafPa = STUB_PA & ~(BigInt(top.leafSize ?? '0') - 1n);
  const stubWrites: { pa: bigint; value: bigint }[] = [];
  // A root outside setup.memory cannot hold the stub (its walk is an access fault).
  const mappable = [...roots].every((r) => (r & 0xfffn) === 0n && inWindow(r, 0x1000n, base, end));
  for (let slot = (1n << BigInt(hi - lo + 1)) - 1n; mappable && slot >= 0n; slot--) {
    const priv = [...dataModes].find((p) => !stubVa.has(p));
    if (priv === undefined) break;
    if (busySlots.has(slot) || [...roots].some((r) => busyWords.has(r + slot * 8n))) continue;
    const va = BigInt.asIntN(hi + 1, slot << BigInt(lo)) + (STUB_PA - leafPa);
    stubVa.set(priv, BigInt.asUintN(64, va));
    const pte = ((leafPa >> 12n) << 10n) | PTE.X | PTE.A | PTE.V | (priv === 'user' ? PTE.U : 0n);
    for (const r of roots) stubWrites.push({ pa: r + slot * 8n, value: pte });
  }
  // Without the stub, loads and stores are made by M-mode with mstatus.MPRV = 1: right, but each
  // one flushes QEMU's TLB (an MPRV change does), so no stale entry can be seen.
  const mprv = stubVa.size < dataModes.size;
  if (mprv) stubWrites.length = 0;

  const written = new Set<bigint>();
  const write = (pa: bigint, value: bigint): void => {
    op.write(w, pa, value);
    written.add(pa);
  };
  const satp = (h: Hart): bigint => (mode << 60n) | (h.asid << 44n) | (h.root >> 12n);
  for (const x of built.writes) write(x.pa, x.value);
  for (const x of stubWrites) write(x.pa, x.value);
  harts.forEach((h, n) => {
    op.pmp(w, n, base, end);
    status(w, n, h.features);
    op.satp(w, n, satp(h));
    op.sfence(w, n, undefined, undefined);
  });

  const older: WordMemory[] = [];
  const frames = new Set(built.tableFrames);
  const stubWords = new Set(stubWrites.map((x) => x.pa));
  const plans: Plan[] = [];
  for (const { op: name, a, cpu } of steps) {
    const h = harts[cpu]!;
    switch (name) {
      case 'access': {
        const kind = a.access as AccessKind;
        const va = BigInt(a.va as string);
        const path = walkPath(v, mem, h.root, va);
        // A data word may also be where the walk would read its next entry if the entry above
        // were a pointer; stamping it is safe only if that entry is a leaf (R|W|X != 0: priv
        // §12.3.2 step 4), so the walk stops before it.
        const onPath = new Map(path.map((p) => [p.pa, p.depth]));
        const leafAt = new Map(
          path.filter((p) => (p.value & 0xen) !== 0n).map((p) => [p.linux, p.depth]),
        );
        const clobbers = (c: Stamp, word: bigint): boolean => {
          const depth = onPath.get(word);
          const leaf = leafAt.get(c.linux);
          return depth !== undefined && !(leaf !== undefined && leaf < depth);
        };
        // A TLB may still hold a translation of an earlier memory or root: stamp those too.
        const seen = new Set<bigint>();
        const all = [mem, ...older].flatMap((m) =>
          [h.root, ...h.oldRoots].flatMap((r) =>
            candidates(v, m === mem && r === h.root ? path : walkPath(v, m, r, va), va),
          ),
        );
        const stamped = all
          .filter((c) => !seen.has(c.pa) && seen.add(c.pa))
          .filter((c) => {
            const word = c.pa & ~7n;
            return (
              inWindow(word, 8n, base, end) &&
              !frames.has(c.pa & ~0xfffn) &&
              !clobbers(c, word) &&
              !stubWords.has(word)
            );
          })
          .slice(0, MAX_CANDIDATES);
        const stamps = stamped.map((c, k) => {
          const shift = (c.pa & 7n) * 8n;
          const byte =
            kind === 'fetch'
              ? fetchStamp(k)
              : kind === 'load'
                ? LOAD_STAMP + BigInt(k)
                : STORE_STAMP;
          return { pa: c.pa & ~7n, stamp: byte << shift };
        });
        for (const x of stamps) written.add(x.pa);
        const viaMprv = mprv && kind !== 'fetch';
        const pc =
          kind === 'fetch' || viaMprv
            ? va
            : stubVa.get(a.priv as string)! + (kind === 'store' ? STUB_STORE : 0n);
        for (const p of path) op.read(w, p.pa);
        op.access(w, cpu, kind, a.priv === 'supervisor', viaMprv, va, pc, stamps);
        for (const p of path) op.read(w, p.pa);
        const adue = h.features.ADUE;
        const paths = path.map((p) => p.pa);
        plans.push({ op: 'access', kind, va, pc, mprv: viaMprv, path: paths, stamped, adue });
        break;
      }
      case 'read':
        op.read(w, BigInt(a.pa as string));
        plans.push({ op: 'read' });
        break;
      case 'write': {
        const pa = BigInt(a.pa as string);
        const value = BigInt(a.value as string);
        write(pa, value);
        older.unshift(copy(mem));
        mem.set(pa, value);
        plans.push({ op: 'none' });
        break;
      }
      case 'write_satp':
        if (!h.oldRoots.includes(h.root)) h.oldRoots.unshift(h.root);
        h.root = built.root(a.root);
        h.asid = BigInt((a.asid as number | undefined) ?? 0);
        op.satp(w, cpu, satp(h));
        plans.push({ op: 'none' });
        break;
      case 'sfence_vma':
        op.sfence(
          w,
          cpu,
          a.va === undefined ? undefined : BigInt(a.va as string),
          a.asid === undefined ? undefined : BigInt(a.asid as number),
        );
        plans.push({ op: 'none' });
        break;
      case 'set_features':
        h.features = featuresOf(a.features as Readonly<Record<string, unknown>>, h.features);
        status(w, cpu, h.features);
        plans.push({ op: 'none' });
        break;
      default:
        return { ok: false, unsupported: `the step op ${name} is not a riscv64 hardware op` };
    }
  }
  // The next vector starts from zeroed memory.
  for (const pa of written) op.write(w, pa, 0n);
  return { ok: true, state: { plans } };
}
