// x86_64 vectors as operations of the harness in harness/qemu/x86_64/ (x86_64.h has the same
// numbers). The radix builder of builder.ts says which words the setup writes and which entries a
// walk of a VA reads; what QEMU does with them is observed, never predicted here.

import type { VectorInput } from '../../adapter.ts';
import { build, candidates, walkPath, WordMemory, type Memory, type PathEntry } from './builder.ts';
import { cpuFeatureDefaults } from '../../protocol/negotiate.ts';
import type { Stamp } from './observe.ts';
import type { BlobWriter, Encoded } from './target.ts';

export const OP = {
  mode: 1n,
  write: 2n,
  read: 3n,
  features: 4n,
  cr3: 5n,
  invlpg: 6n,
  invpcid: 7n,
  access: 8n,
  home: 9n,
  on1: 10n,
} as const;

/** Guest RAM of `-M pc -m 5G`: 3 GiB below the PCI hole, the rest from 4 GiB (file offset 3 GiB). */
export const LOW_RAM = 0xc0000000n;
export const HIGH_RAM = { pa: 0x100000000n, size: 0x80000000n } as const;
/** Where vectors' memory goes; the harness, its tables, the blob and the results lie below it. */
export const WINDOW = { lo: 0x40000000n, hi: 0xc0000000n } as const;
/** Vector memory may also lie in the RAM above 4 GiB (nothing of the harness is there). */
const VECTOR_RAM = [WINDOW, { lo: HIGH_RAM.pa, hi: HIGH_RAM.pa + HIGH_RAM.size }] as const;
const inVectorRam = (lo: bigint, hi: bigint): boolean =>
  VECTOR_RAM.some((r) => lo >= r.lo && hi <= r.hi);
export const BLOB = { pa: 0x01000000n, bytes: 0x20000000 } as const;
export const RESULT = { pa: 0x21000000n, bytes: 0x1f000000 } as const;
/** CPUID.80000008H:EAX[7:0] unless a CPU's features say otherwise (CpuFeatures.MAXPHYADDR). */
export const MAXPHYADDR = 52;

/** The vector's MAXPHYADDR, QEMU's -cpu phys-bits; undefined when its CPUs disagree. */
export function maxPhyAddr(v: VectorInput): number | undefined {
  const ms = new Set(
    (setupOf(v).cpus ?? [{}]).map((c) => Number(c.features?.MAXPHYADDR ?? MAXPHYADDR)),
  );
  return ms.size === 1 ? [...ms][0] : undefined;
}
/** The top-level index the harness's own mappings take in every root a vector loads (x86_64.h). */
export const SLOT: Readonly<Record<string, bigint>> = { '4level': 400n, '5level': 511n };

// Stamps: a load returns LOAD_TAG+k from candidate k; the store writes STORE_BYTE; a fetch runs
// XCHG %eax,%reg (opcode 0x90+r) with TF set, and the register held the number FETCH_REG[k].
export const LOAD_TAG = 0xb0n;
export const STORE_BYTE = 0x5cn;
export const FETCH_REG = [1n, 2n, 3n, 5n, 6n, 7n] as const;
/** The most stamps an access takes (arch.c STAMPS_MAX). */
const STAMPS_MAX = 16;

const CR4 = { PGE: 1n << 7n, PCIDE: 1n << 17n, SMEP: 1n << 20n, SMAP: 1n << 21n } as const;
const OTHER = { WP: 1n, NXE: 2n, AC: 4n } as const;
/** The reset value of each feature the harness sets, from the schema (CpuFeatures defaults). */
function defaults(): Readonly<Record<string, boolean>> {
  const d = cpuFeatureDefaults();
  return Object.fromEntries(
    [...Object.keys(CR4), ...Object.keys(OTHER)].map((k) => [k, d.get(k) === true]),
  );
}

export type Plan =
  | { readonly op: 'none' }
  | { readonly op: 'status' }
  | { readonly op: 'invpcid' }
  | { readonly op: 'read' }
  | {
      readonly op: 'access';
      readonly va: bigint;
      readonly kind: 'load' | 'store' | 'fetch';
      /** Whether the VA is canonical in the vector's mode (SDM vol. 1 §3.3.7.1). */
      readonly canonical: boolean;
      readonly path: readonly bigint[];
      readonly stamps: readonly Stamp[];
    };

export interface X86State {
  /** Words the setup's MOV to CR4 and MOV to CR3 report, before the first step's. */
  readonly pre: number;
  readonly plans: readonly Plan[];
}

interface SetupJson {
  readonly memory: { readonly base: string; readonly size: string };
  readonly map?: readonly { readonly va: string; readonly size: string }[];
  readonly words?: readonly { readonly pa: string }[];
  readonly cpus?: readonly {
    readonly root?: unknown;
    readonly asid?: number;
    readonly features?: Readonly<Record<string, boolean | number>>;
  }[];
}

interface Args {
  readonly cpu?: number;
  readonly va?: string;
  readonly pa?: string;
  readonly value?: unknown;
  readonly access?: 'load' | 'store' | 'fetch';
  readonly priv?: 'user' | 'supervisor';
  readonly root?: unknown;
  readonly pcid?: number;
  readonly noflush?: boolean;
  readonly features?: Readonly<Record<string, boolean | number>>;
  readonly type?: number;
}

const hexOf = (x: bigint): string => `0x${x.toString(16).padStart(16, '0')}`;
const setupOf = (v: VectorInput): SetupJson => v.setup as unknown as SetupJson;
const argsOf = (a: unknown): Args => a as Args;

const canonical = (va: bigint, mode: string): boolean => {
  const top = mode === '5level' ? 56n : 47n;
  const hi = va >> top;
  return hi === 0n || hi === (1n << (64n - top)) - 1n;
};

const topIndex = (va: bigint, mode: string): bigint =>
  (va >> (mode === '5level' ? 48n : 39n)) & 511n;

/**
 * The entries a walk reads: walkPath follows every present entry, but a PDPTE or PDE with PS (bit 7)
 * maps a page and the walk stops there (SDM vol. 3A §4.5.4); the word after it is data.
 */
function walkedEntries(path: readonly PathEntry[], mode: string): PathEntry[] {
  const levels = mode === '5level' ? 5 : 4;
  const cut = path.findIndex(
    (e) => e.depth >= levels - 3 && e.depth < levels - 1 && (e.value & 0x81n) === 0x81n,
  );
  return cut < 0 ? [...path] : path.slice(0, cut + 1);
}

function snapshot(m: Memory): Memory {
  const out = new WordMemory();
  for (const pa of m.keys()) out.set(pa, m.get(pa));
  return out;
}

/** The CR3 value a write_cr3 step loads, and the root's physical address. */
function cr3Of(
  a: Args,
  rootOf: (r: unknown) => bigint,
): { value: bigint; root: bigint; noflush: boolean } {
  const root = rootOf(a.root);
  return { value: root | BigInt(a.pcid ?? 0), root, noflush: a.noflush === true };
}

export function x86Cpus(v: VectorInput): number {
  const s = setupOf(v);
  const steps = v.steps.map((st) => (argsOf(st.args).cpu ?? 0) + 1);
  return Math.max(s.cpus?.length ?? 1, ...steps);
}

/** Why the x86_64 harness cannot run `v`, if it cannot. */
export function x86NotCovered(v: VectorInput): string | undefined {
  if (v.mode !== '4level' && v.mode !== '5level') return `mode ${v.mode} is not x86_64 paging`;
  const s = setupOf(v);
  const base = BigInt(s.memory.base);
  const end = base + BigInt(s.memory.size);
  if (!inVectorRam(base, end))
    return `setup.memory [${hexOf(base)},${hexOf(end)}) is not inside the guest RAM QEMU gives vectors ([${VECTOR_RAM.map((r) => `${hexOf(r.lo)},${hexOf(r.hi)}`).join(') or [')}) of -M pc -m 5G; the harness lives below it)`;
  const m = maxPhyAddr(v);
  if (m === undefined)
    return 'the CPUs have different MAXPHYADDR; QEMU gives all of its CPUs one phys-bits';
  const pcide =
    (s.cpus ?? []).some((c) => c.features?.PCIDE === true) ||
    v.steps.some((st) => st.op === 'set_features' && argsOf(st.args).features?.PCIDE === true);
  if (pcide)
    return 'CR4.PCIDE=1 needs a CPU with PCIDs (CPUID.01H:ECX.PCID[bit 17]=1, SDM vol. 3A §4.10.1); QEMU 7.2 TCG offers none (it accepts PCIDE=1 but never tags TLB entries)';
  const slot = SLOT[v.mode]!;
  const vas = [
    ...(s.map ?? []).map((m) => BigInt(m.va)),
    ...v.steps.flatMap((st) => {
      const va = argsOf(st.args).va;
      return va === undefined ? [] : [BigInt(va)];
    }),
  ];
  const clash = vas.find((va) => canonical(va, v.mode) && topIndex(va, v.mode) === slot);
  if (clash !== undefined)
    return `VA ${hexOf(clash)} uses top-level index ${slot}, which the harness takes for its own mappings in every root`;
  const built = build(v);
  const roots = new Set<bigint>([built.root(s.cpus?.[0]?.root)]);
  for (const st of v.steps) {
    const a = argsOf(st.args);
    if (st.op !== 'write_cr3') continue;
    const { value, root, noflush } = cr3Of(a, (r) => built.root(r));
    if (noflush)
      return `QEMU 7.2 loads a MOV to CR3 with bit 63 (noflush) as it is and the vCPU stops making progress (measured: the guest hangs), where the SDM has #GP(0) with CR4.PCIDE=0 (vol. 2B MOV) and completion with PCIDE=1 (vol. 3A §4.10.4.1)`;
    if (value >> BigInt(m) !== 0n)
      return `QEMU 7.2 loads a MOV to CR3 with bits at or above MAXPHYADDR as it is and the vCPU stops making progress (measured: the guest hangs), where the SDM has #GP(0) (vol. 2B MOV)`;
    roots.add(root);
  }
  const touched = new Set<bigint>([
    ...built.writes.map((w) => w.pa),
    ...v.steps.flatMap((st) => {
      const pa = argsOf(st.args).pa;
      return (st.op === 'write' || st.op === 'read') && pa !== undefined ? [BigInt(pa)] : [];
    }),
  ]);
  const outside = v.steps.find((st) => {
    const pa = argsOf(st.args).pa;
    return (
      (st.op === 'write' || st.op === 'read') &&
      pa !== undefined &&
      !inVectorRam(BigInt(pa), BigInt(pa) + 8n)
    );
  });
  if (outside)
    return `a ${outside.op} of ${argsOf(outside.args).pa!} lies outside the guest RAM QEMU gives vectors`;
  for (const r of roots) {
    if (!inVectorRam(r, r + 0x1000n))
      return `the root ${hexOf(r)} is outside the guest RAM the harness can put its own entry into`;
    if (touched.has(r + slot * 8n))
      return `the vector writes or reads ${hexOf(r + slot * 8n)}, the root entry the harness takes for its own mappings`;
  }
  return undefined;
}

/** Set and clear masks (CR4 bits, other bits) that take the CPU from `from` to `to`. */
function featureWords(
  from: Readonly<Record<string, boolean>>,
  to: Readonly<Record<string, boolean>>,
): bigint[] {
  let cr4Set = 0n;
  let cr4Clear = 0n;
  let set = 0n;
  let clear = 0n;
  for (const [k, bit] of Object.entries(CR4)) {
    if (to[k] === from[k]) continue;
    if (to[k]) cr4Set |= bit;
    else cr4Clear |= bit;
  }
  for (const [k, bit] of Object.entries(OTHER)) {
    if (to[k] === from[k]) continue;
    if (to[k]) set |= bit;
    else clear |= bit;
  }
  return [OP.features, cr4Set, cr4Clear, set, clear];
}

function boolFeatures(
  f: Readonly<Record<string, boolean | number>> | undefined,
): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const [k, x] of Object.entries(f ?? {})) if (typeof x === 'boolean') out[k] = x;
  return out;
}

export function x86Encode(v: VectorInput, w: BlobWriter): Encoded<X86State> {
  const s = setupOf(v);
  const built = build(v);
  const mem: Memory = built.mem;
  const slot = SLOT[v.mode]!;
  const frames = new Set(built.tableFrames);
  const ncpu = x86Cpus(v);
  // An operation of CPU 1 goes to it wrapped in OP.on1 (x86_64.h).
  const on = (cpu: number, ...words: bigint[]): void => {
    if (cpu === 0) w.u64(...words);
    else w.u64(OP.on1, BigInt(words.length), ...words);
  };
  const written = new Set<bigint>();
  const put = (pa: bigint, value: bigint): void => {
    w.u64(OP.write, pa, value);
    written.add(pa);
  };
  const mode = v.mode === '5level' ? 1n : 0n;
  w.u64(OP.mode, mode);
  for (let c = 1; c < ncpu; c++) {
    on(c, OP.home);
    on(c, OP.mode, mode);
  }
  for (const x of built.writes) put(x.pa, x.value);
  const inserted = new Set<bigint>();
  const load = (cpu: number, value: bigint, r: bigint): void => {
    on(cpu, OP.cr3, value, r + slot * 8n);
    inserted.add(r + slot * 8n);
  };
  const features: Record<string, boolean>[] = [];
  const root: bigint[] = [];
  for (let c = 0; c < ncpu; c++) {
    const cpu = s.cpus?.[c];
    const reset = defaults();
    features.push({ ...reset, ...boolFeatures(cpu?.features) });
    on(c, ...featureWords(reset, features[c]!));
    root.push(built.root(cpu?.root));
    load(c, root[c]! | BigInt(cpu?.asid ?? 0), root[c]!);
  }
  // The harness's own entry goes into every root the vector loads: never stamp one.
  const reserved = new Set<bigint>(root.map((r) => r + slot * 8n));
  for (const st of v.steps)
    if (st.op === 'write_cr3')
      reserved.add(cr3Of(argsOf(st.args), (r) => built.root(r)).root + slot * 8n);
  const plans: Plan[] = [];
  const seen: { mem: Memory; root: bigint }[] = [];
  let dirty = true;
  for (const st of v.steps) {
    const a = argsOf(st.args);
    const cpu = a.cpu ?? 0;
    switch (st.op) {
      case 'write': {
        if (typeof a.value !== 'string')
          return { ok: false, unsupported: 'a write of an earlier step’s result' };
        const pa = BigInt(a.pa!);
        put(pa, BigInt(a.value));
        mem.set(pa, BigInt(a.value));
        dirty = true;
        plans.push({ op: 'none' });
        break;
      }
      case 'read':
        w.u64(OP.read, BigInt(a.pa!));
        plans.push({ op: 'read' });
        break;
      case 'write_cr3': {
        const c = cr3Of(a, (r) => built.root(r));
        load(cpu, c.value, c.root);
        root[cpu] = c.root;
        plans.push({ op: 'status' });
        break;
      }
      case 'set_features': {
        const next = { ...features[cpu]!, ...boolFeatures(a.features) };
        on(cpu, ...featureWords(features[cpu]!, next));
        features[cpu] = next;
        plans.push({ op: 'status' });
        break;
      }
      case 'invlpg':
        on(cpu, OP.invlpg, BigInt(a.va!));
        plans.push({ op: 'none' });
        break;
      case 'invpcid':
        on(cpu, OP.invpcid, BigInt(a.type ?? 0), BigInt(a.pcid ?? 0), BigInt(a.va ?? '0x0'));
        plans.push({ op: 'invpcid' });
        break;
      case 'access': {
        const va = BigInt(a.va!);
        const kind = a.access!;
        const entries = walkedEntries(walkPath(v, mem, root[cpu]!, va), v.mode);
        if (dirty || seen.at(-1)?.root !== root[cpu])
          seen.push({ mem: snapshot(mem), root: root[cpu]! });
        dirty = false;
        // A TLB may still hold what an earlier access under an older memory or root filled
        // (SDM vol. 3A §4.10.2), so every place the byte was before gets a stamp too.
        const onPath = new Set(entries.map((e) => e.pa));
        const all = [
          ...candidates(v, entries, va),
          ...seen.flatMap((h) =>
            candidates(v, walkedEntries(walkPath(v, h.mem, h.root, va), v.mode), va),
          ),
        ];
        // A store, or a fetch that runs what it finds, must not reach the harness or a device.
        const unsafe = all.find(
          (c) => c.pa < WINDOW.lo || (c.pa >= WINDOW.hi && c.pa < HIGH_RAM.pa),
        );
        if (kind !== 'load' && unsafe)
          return {
            ok: false,
            unsupported: `the ${kind} at ${hexOf(va)} may reach ${hexOf(unsafe.pa)}, where the harness or a device is`,
          };
        const limit = kind === 'fetch' ? FETCH_REG.length : STAMPS_MAX;
        const stamps: Stamp[] = [];
        for (const c of all) {
          const word = c.pa & ~7n;
          if (stamps.length >= limit || stamps.some((x) => x.pa === c.pa)) continue;
          if (!inVectorRam(word, word + 8n) || onPath.has(word) || reserved.has(word)) continue;
          // A word of a table that holds an entry is never stamped: some walk may read it.
          if (frames.has(c.pa & ~0xfffn) && mem.get(word) !== 0n) continue;
          stamps.push(c);
        }
        const words = stamps.flatMap((c, k) => {
          const tag = kind === 'fetch' ? 0x90n + FETCH_REG[k]! : LOAD_TAG + BigInt(k);
          return [c.pa & ~7n, tag << ((c.pa & 7n) * 8n)];
        });
        const path = entries.map((e) => e.pa);
        const code = { load: 0n, store: 1n, fetch: 2n }[kind] | (a.priv === 'user' ? 0x100n : 0n);
        on(cpu, OP.access, va, code, BigInt(stamps.length), ...words, BigInt(path.length), ...path);
        plans.push({ op: 'access', va, kind, canonical: canonical(va, v.mode), path, stamps });
        break;
      }
      default:
        return { ok: false, unsupported: `${st.op} is not an x86_64 operation` };
    }
  }
  // Every CPU leaves the vector's roots before their words are cleared.
  for (let c = 0; c < ncpu; c++) on(c, OP.home);
  for (const pa of [...written, ...inserted]) w.u64(OP.write, pa, 0n);
  return { ok: true, state: { pre: 2 * ncpu, plans } };
}
