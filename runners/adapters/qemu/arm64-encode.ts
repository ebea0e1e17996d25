// arm64 vectors as operations of the harness in harness/qemu/arm64/ (arch.c has the encoding).
// The harness runs at EL1 from TTBR1_EL1, so TTBR0_EL1, its ASID and the translation bits of
// TCR_EL1 and SCTLR_EL1 are the vector's; a vector's own TTBR1_EL1 root gets the harness's entries in
// the top-level slots that map it (arm64-ttbr1.ts). Nothing here decides a walk: the runner only says
// which words to write, which to read back (the entries a walk may read) and where to put stamps (the
// candidate PAs of the access), and QEMU does the rest.

import type { VectorInput } from '../../adapter.ts';
import { archDescriptions } from '../../arch.ts';
import { harnessSlots, HARNESS_VA, PA_MASK, ttbr1Conflict, ttbr1Roots } from './arm64-ttbr1.ts';
import { build, candidates, walkPath, WordMemory, type Memory } from './builder.ts';
import type { Stamp } from './observe.ts';
import type { BlobWriter, Encoded } from './target.ts';

export const RAM_BASE = 0x40000000n;
export const RAM_SIZE = 0xc0000000n;
/** The vectors' window; the harness, its tables, the blob and the result lie above it. */
export const WINDOW_END = 0xc0000000n;
export const BLOB_PA = 0xc1000000n;
export const BLOB_BYTES = 0x1f000000;
export const RESULT_PA = 0xe0000000n;
export const RESULT_BYTES = 0x20000000;

const OP = {
  config: 1n,
  writes: 2n,
  read: 3n,
  writeSlot: 4n,
  ttbr0: 5n,
  tlbi: 6n,
  access: 7n,
  hmap: 8n,
  ttbr1: 9n,
};
const TLBI = [
  'vae1',
  'vale1',
  'vaae1',
  'vaale1',
  'aside1',
  'vmalle1',
  'vae1is',
  'vale1is',
  'vaae1is',
  'vaale1is',
  'aside1is',
  'vmalle1is',
];
export const KIND = { load: 0n, store: 1n, fetch: 2n } as const;
const EL0 = 3n;
const MAX_PATH = 8;
const MAX_STAMPS = 32;

// Stamps are even bytes (and BRK's low byte is even): a stamped word that a walk might read as a
// descriptor stays invalid (bit 0 clear), so only words holding a non-zero descriptor are skipped.
export const loadStamp = (k: number): bigint => 0xa0n + 2n * BigInt(k);
const storePrestamp = (k: number): bigint => 0x10n + 2n * BigInt(k);
export const STORE_BYTE = 0xeen;
const BRK_BASE = 0x700n;
/** BRK #imm16 (Arm ARM C6.2.38): ESR_EL1.ISS holds imm16. */
export const fetchStamp = (k: number): bigint => 0xd4200000n | ((BRK_BASE + BigInt(k)) << 5n);
export const brkIndex = (imm: bigint): number => Number(imm - BRK_BASE);

export type Plan =
  | { readonly op: 'none' }
  | { readonly op: 'read' }
  | {
      readonly op: 'access';
      readonly va: bigint;
      readonly access: 'load' | 'store' | 'fetch';
      readonly user: boolean;
      readonly stamps: readonly Stamp[];
      readonly path: readonly { readonly pa: bigint; readonly linux: string }[];
    };
export interface Arm64State {
  readonly plans: readonly Plan[];
}

interface Features {
  HA?: boolean;
  HD?: boolean;
  PAN?: boolean;
  EPAN?: boolean;
  WXN?: boolean;
  PS?: number;
}
interface CpuJson {
  readonly root?: unknown;
  readonly root1?: unknown;
  readonly asid?: number;
  readonly features?: Features;
}
interface SetupJson {
  readonly memory: { readonly base: string; readonly size: string };
  readonly words?: readonly { readonly pa: string; readonly value: string }[];
  readonly cpus?: readonly CpuJson[];
}
interface Args {
  readonly cpu?: number;
  readonly va?: string;
  readonly pa?: string;
  readonly access?: 'load' | 'store' | 'fetch';
  readonly priv?: 'user' | 'supervisor';
  readonly value?: string | { readonly step: string };
  readonly root?: unknown;
  readonly asid?: number;
  readonly type?: string;
  readonly features?: Features;
}

const setupOf = (v: VectorInput): SetupJson => v.setup as unknown as SetupJson;
const argsOf = (a: unknown): Args => a as Args;
const IPS: Readonly<Record<number, bigint>> = { 32: 0n, 36: 1n, 40: 2n, 42: 3n, 44: 4n, 48: 5n };
const hex = (x: bigint): string => `0x${x.toString(16)}`;

/** PAs QEMU's virt board gives something other than a bus error: flash and devices below RAM, RAM,
 * and the high PCIe ECAM and MMIO windows (hw/arm/virt.c memmap). */
function qemuClaims(pa: bigint): string | undefined {
  if (pa < RAM_BASE) return 'flash or a device';
  if (pa < RAM_BASE + RAM_SIZE) return 'guest RAM';
  if (pa >= 0x4010000000n && pa < 0x4020000000n) return 'the PCIe ECAM';
  if (pa >= 0x8000000000n && pa < 0x10000000000n) return 'the PCIe MMIO window';
  return undefined;
}

export function arm64Cpus(v: VectorInput): number {
  return setupOf(v).cpus?.length ?? 1;
}

export function arm64NotCovered(v: VectorInput): string | undefined {
  const s = setupOf(v);
  if (!s) return 'the vector has no setup';
  const base = BigInt(s.memory.base);
  const end = base + BigInt(s.memory.size);
  if (base < RAM_BASE || end > WINDOW_END)
    return `setup.memory [${hex(base)},${hex(end)}) is not inside the guest RAM QEMU gives vectors ([${hex(RAM_BASE)},${hex(WINDOW_END)}))`;
  if (
    (s.cpus ?? []).some((c) => c.root1 !== undefined) ||
    v.steps.some((st) => st.op === 'write_ttbr1_el1')
  ) {
    const why = ttbr1Conflict(v);
    if (why) return why;
  }
  const epan =
    'QEMU 7.2 -cpu max has no FEAT_PAN3 (ID_AA64MMFR1_EL1.PAN=2): SCTLR_EL1.EPAN is RES0 and does nothing';
  if ((s.cpus ?? []).some((c) => c.features?.EPAN === true)) return epan;
  for (const st of v.steps) {
    const a = argsOf(st.args);
    if (st.op === 'set_features' && a.features?.EPAN === true) return epan;
    if (a.va !== undefined && BigInt(a.va) >= HARNESS_VA)
      return `VA ${a.va} is in the harness's own TTBR1_EL1 region [${hex(HARNESS_VA)}, 2^64)`;
  }
  // The architecture's bus error (an external abort) for a PA outside setup.memory only happens on
  // QEMU where its board has nothing there: a descriptor or root pointing at RAM or a device is not
  // covered. Which words are descriptors is not decided: every written word with bit 0 set counts.
  const granule = BigInt(1 << (archDescriptions().get(`arm64-${v.mode}`)?.pageShift ?? 12));
  const oaMask = ((1n << 48n) - 1n) & ~(granule - 1n);
  const outside = (pa: bigint, what: string): string | undefined => {
    if (pa >= base && pa < end) return undefined;
    const claim = qemuClaims(pa);
    return claim
      ? `${what} points at ${hex(pa)}, outside setup.memory, where QEMU's virt board has ${claim} instead of a bus error`
      : undefined;
  };
  const words = [
    ...(s.words ?? []).map((w) => BigInt(w.value)),
    ...v.steps.flatMap((st) => {
      const x = argsOf(st.args).value;
      return st.op === 'write' && typeof x === 'string' ? [BigInt(x)] : [];
    }),
  ];
  for (const w of words) {
    const why = (w & 1n) === 1n ? outside(w & oaMask, `the descriptor ${hex(w)}`) : undefined;
    if (why) return why;
  }
  const roots = [
    ...(s.cpus ?? []).flatMap((c) => [c.root, c.root1]),
    ...v.steps
      .filter((st) => st.op === 'write_ttbr0_el1' || st.op === 'write_ttbr1_el1')
      .map((st) => argsOf(st.args).root),
  ];
  for (const r of roots) {
    const why = typeof r === 'string' ? outside(BigInt(r) & oaMask, `the root ${r}`) : undefined;
    if (why) return why;
  }
  return undefined;
}

/** TCR_EL1 bits of the vector (arch.c ORs in its own TTBR1 bits): T0SZ, TG0, IPS, HA, HD. */
function tcrOf(v: VectorInput, f: Features): bigint {
  const d = archDescriptions().get(`arm64-${v.mode}`)!;
  const tg0 = d.pageShift === 16 ? 1n : d.pageShift === 14 ? 2n : 0n;
  return (
    BigInt(64 - d.vaBits) |
    (tg0 << 14n) |
    (IPS[f.PS ?? 48]! << 32n) |
    (f.HA ? 1n << 39n : 0n) |
    (f.HD ? 1n << 40n : 0n)
  );
}

/** SCTLR_EL1 bits of the vector: WXN (19), EPAN (57). */
const sctlrOf = (f: Features): bigint => (f.WXN ? 1n << 19n : 0n) | (f.EPAN ? 1n << 57n : 0n);

function copy(m: Memory): WordMemory {
  const out = new WordMemory();
  for (const pa of m.keys()) out.set(pa, m.get(pa));
  return out;
}

export function arm64Encode(v: VectorInput, w: BlobWriter): Encoded<Arm64State> {
  const s = setupOf(v);
  const b = build(v);
  const base = BigInt(s.memory.base);
  const end = base + BigInt(s.memory.size);
  const cpus: CpuJson[] = [...(s.cpus ?? [{}])];
  const features = cpus.map((c) => ({ ...(c.features ?? {}) }));
  const ttbr = cpus.map((c) => b.root(c.root) | (BigInt(c.asid ?? 0) << 48n));
  const ttbr1 = cpus.map((c) => (c.root1 === undefined ? undefined : b.root(c.root1) & PA_MASK));
  const roots = new Set([...ttbr, ...ttbr1].flatMap((t) => (t === undefined ? [] : [t & PA_MASK])));
  const written = new Set<bigint>();
  const mem = copy(b.mem);
  const snapshots: Memory[] = [copy(b.mem)];
  const writes = (list: readonly { pa: bigint; value: bigint }[]): void => {
    for (let i = 0; i < list.length; i += 256) {
      const chunk = list.slice(i, i + 256);
      w.u64(OP.writes | (BigInt(chunk.length) << 32n));
      for (const x of chunk) {
        w.u64(x.pa, x.value);
        written.add(x.pa);
      }
    }
  };
  const config = (cpu: number): void => {
    const f = features[cpu]!;
    w.u64(OP.config | (BigInt(cpu) << 8n), tcrOf(v, f), sctlrOf(f), ttbr[cpu]!, f.PAN ? 1n : 0n);
  };
  writes(b.writes);
  const own = ttbr1Roots(v, b);
  const slots = harnessSlots(v);
  if (own.length > 0 && 'why' in slots) return { ok: false, unsupported: slots.why };
  const hmap = 'why' in slots ? undefined : slots;
  for (const root of own) {
    w.u64(OP.hmap | (hmap!.first << 16n) | (hmap!.count << 32n), root);
    for (let i = 0n; i < hmap!.count; i++) written.add(root + 8n * (hmap!.first + i));
  }
  const loadTtbr1 = (cpu: number, root: bigint): void =>
    void w.u64(OP.ttbr1 | (BigInt(cpu) << 8n), root, hmap!.t1);
  cpus.forEach((_, cpu) => config(cpu));
  ttbr1.forEach((root, cpu) => root !== undefined && loadTtbr1(cpu, root));
  w.u64(OP.tlbi | (11n << 16n), 0n); // TLBI VMALLE1IS: every CPU starts with an empty TLB
  const frames = b.tableFrames.map((f) => [f, f + b.granule] as const);
  const named = new Map<string, number>();
  const plans: Plan[] = [];
  for (const [i, st] of v.steps.entries()) {
    const a = argsOf(st.args);
    const cpu = BigInt(a.cpu ?? 0);
    if (st.name !== undefined) named.set(st.name, i);
    if (a.pa !== undefined && (BigInt(a.pa) < base || BigInt(a.pa) + 8n > end))
      return { ok: false, unsupported: `${st.op} of ${a.pa}, outside setup.memory` };
    switch (st.op) {
      case 'read':
        w.u64(OP.read | (BigInt(i & 0xff) << 16n), BigInt(a.pa!));
        plans.push({ op: 'read' });
        break;
      case 'write': {
        const pa = BigInt(a.pa!);
        const x = a.value!;
        if (typeof x === 'string') {
          writes([{ pa, value: BigInt(x) }]);
          mem.set(pa, BigInt(x));
        } else {
          const from = named.get(x.step);
          if (from === undefined || v.steps[from]!.op !== 'read')
            return {
              ok: false,
              unsupported: `step ${x.step} is not a read: the harness writes read values only`,
            };
          w.u64(OP.writeSlot | (BigInt(from & 0xff) << 16n), pa);
          written.add(pa);
          mem.set(pa, mem.get(BigInt(argsOf(v.steps[from]!.args).pa!)));
        }
        snapshots.push(copy(mem));
        plans.push({ op: 'none' });
        break;
      }
      case 'write_ttbr0_el1': {
        const t = b.root(a.root) | (BigInt(a.asid ?? 0) << 48n);
        ttbr[Number(cpu)] = t;
        roots.add(t & ((1n << 48n) - 1n));
        w.u64(OP.ttbr0 | (cpu << 8n), t);
        plans.push({ op: 'none' });
        break;
      }
      case 'write_ttbr1_el1': {
        const root = b.root(a.root) & PA_MASK;
        ttbr1[Number(cpu)] = root;
        roots.add(root);
        loadTtbr1(Number(cpu), root | (BigInt(a.asid ?? 0) << 48n));
        plans.push({ op: 'none' });
        break;
      }
      case 'tlbi': {
        const type = TLBI.indexOf(a.type!);
        const base = type % 6;
        const va = base <= 3 ? (BigInt(a.va ?? '0') >> 12n) & ((1n << 44n) - 1n) : 0n;
        const asid = base === 0 || base === 1 || base === 4 ? BigInt(a.asid ?? 0) << 48n : 0n;
        w.u64(OP.tlbi | (cpu << 8n) | (BigInt(type) << 16n), va | asid);
        plans.push({ op: 'none' });
        break;
      }
      case 'set_features':
        Object.assign(features[Number(cpu)]!, a.features);
        config(Number(cpu));
        plans.push({ op: 'none' });
        break;
      case 'access': {
        const va = BigInt(a.va!);
        const access = a.access!;
        const user = a.priv === 'user';
        const paths = [...roots].flatMap((r) => snapshots.map((m) => walkPath(v, m, r, va)));
        const onPath = new Set(
          paths.flatMap((p) => p.filter((e) => e.value !== 0n).map((e) => e.pa)),
        );
        const width = access === 'fetch' ? 4n : 1n;
        const seen = new Set<bigint>();
        const stamps: Stamp[] = [];
        for (const c of paths.flatMap((p) => candidates(v, p, va))) {
          const at = access === 'fetch' ? c.pa & ~3n : c.pa;
          const word = at & ~7n;
          if (seen.has(at) || at < base || at + width > end || onPath.has(word)) continue;
          if (frames.some(([lo, hi]) => at >= lo && at < hi)) continue;
          seen.add(at);
          if (stamps.length < MAX_STAMPS) stamps.push(c);
        }
        // The entries a walk from either root of the CPU may read, each once.
        const own = [ttbr[Number(cpu)]! & PA_MASK, ttbr1[Number(cpu)]];
        const path = [
          ...new Map(
            own
              .flatMap((r) => (r === undefined ? [] : walkPath(v, mem, r, va)))
              .map((e) => [e.pa, e]),
          ).values(),
        ].slice(0, MAX_PATH);
        const kind = KIND[access] + (user ? EL0 : 0n);
        w.u64(
          OP.access |
            (cpu << 8n) |
            (kind << 16n) |
            (BigInt(stamps.length) << 32n) |
            (BigInt(path.length) << 48n),
          va,
          STORE_BYTE,
        );
        stamps.forEach((c, k) => {
          if (access === 'fetch') w.u64((c.pa & ~3n) | (4n << 56n), fetchStamp(k));
          else w.u64(c.pa | (1n << 56n), access === 'load' ? loadStamp(k) : storePrestamp(k));
        });
        w.u64(...path.map((e) => e.pa));
        plans.push({ op: 'access', va, access, user, stamps, path });
        break;
      }
      default:
        return { ok: false, unsupported: `the arm64 harness has no ${st.op}` };
    }
  }
  // The harness's own root goes back into TTBR1_EL1 before the slots it used are zeroed.
  ttbr1.forEach((root, cpu) => root !== undefined && w.u64(OP.ttbr1 | (BigInt(cpu) << 8n), 0n, 0n));
  // Every vector leaves zeroed memory behind: the next one starts from a clean machine.
  writes([...written].map((pa) => ({ pa, value: 0n })));
  return { ok: true, state: { plans } };
}
