// The vector's memory as the QEMU adapter writes it into the guest: a radix builder of its own,
// written from the README's description of the setup ("The radix builder") and the arch
// descriptions (vectors/arch/*.json), not from the reference engine, so that QEMU is not checked
// against the engine's own reading of the setup. It also follows pointers through that memory
// (walkPath), which tells the adapter which words to read back after an access and where the data
// of an access may lie; it decides nothing about leaves, permissions or faults: QEMU does.

import type { VectorInput } from '../../adapter.ts';
import { archDescriptions } from '../../arch.ts';
import type { ArchDescription, Level } from '../../vectors/generated/arch.ts';

export interface Memory {
  get(pa: bigint): bigint;
  set(pa: bigint, v: bigint): void;
  keys(): Iterable<bigint>;
}

/** 64-bit words of physical memory, zero where never written. */
export class WordMemory implements Memory {
  private readonly words = new Map<bigint, bigint>();
  get(pa: bigint): bigint {
    return this.words.get(pa) ?? 0n;
  }
  set(pa: bigint, v: bigint): void {
    this.words.set(pa, v);
  }
  keys(): Iterable<bigint> {
    return this.words.keys();
  }
}

export interface Built {
  readonly mem: Memory;
  /** The non-zero words of the setup, in the order written. */
  readonly writes: readonly { readonly pa: bigint; readonly value: bigint }[];
  /** The frames the builder took for tables, roots of trees 0..n first. */
  readonly tableFrames: readonly bigint[];
  readonly granule: bigint;
  /** A CPU's root: a tree's root table, or a physical address as given; tree 0 when absent. */
  root(r: unknown): bigint;
}

export interface PathEntry {
  readonly pa: bigint;
  readonly value: bigint;
  readonly linux: string;
  /** 0 for the root table's entry. */
  readonly depth: number;
}

interface SetupJson {
  readonly memory: { readonly base: string; readonly size: string };
  readonly tables?: string;
  readonly map?: readonly MappingJson[];
  readonly words?: readonly { readonly pa: string; readonly value: string }[];
  readonly cpus?: readonly { readonly root?: unknown; readonly root1?: unknown }[];
}
interface MappingJson {
  readonly tree?: number;
  readonly va: string;
  readonly pa?: string;
  readonly size: string;
  readonly fields?: Readonly<Record<string, number | string>>;
  readonly tables?: Readonly<Record<string, Readonly<Record<string, number | string>>>>;
  readonly raw?: string;
}

const SIZES: Readonly<Record<string, bigint>> = {
  '4K': 1n << 12n,
  '16K': 1n << 14n,
  '64K': 1n << 16n,
  '2M': 1n << 21n,
  '32M': 1n << 25n,
  '512M': 1n << 29n,
  '1G': 1n << 30n,
  '512G': 1n << 39n,
  '256T': 1n << 48n,
};

/** Each arch's output address in an entry (README: "A table entry is the arch's plain pointer"). */
interface ArchAddress {
  readonly table: bigint;
  readonly valid: bigint;
  readonly leafFormat: (depth: number, levels: number) => string;
  encode(pa: bigint): bigint;
  decode(entry: bigint, granuleShift: bigint): bigint;
}

const GENMASK = (hi: number, lo: number): bigint =>
  ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);

const ADDRESS: Readonly<Record<string, ArchAddress>> = {
  // SDM vol. 3A §4.5 Table 4-15..4-20: P RW US A; the address is bits 51:12 (M-1:12).
  x86_64: {
    table: 0x27n,
    valid: 0x1n,
    leafFormat: (d, n) => (d === n - 1 ? 'present' : 'leaf'),
    encode: (pa) => pa,
    decode: (e) => e & GENMASK(51, 12),
  },
  // Arm ARM D8.3: descriptor bits[1:0] = 0b11 table/page; OA in bits 47:granule shift.
  arm64: {
    table: 0x3n,
    valid: 0x1n,
    leafFormat: (d, n) => (d === n - 1 ? 'page' : 'block'),
    encode: (pa) => pa,
    decode: (e, g) => e & GENMASK(47, Number(g)),
  },
  // RISC-V priv §12.4: PPN in bits 53:10, V in bit 0.
  riscv64: {
    table: 0x1n,
    valid: 0x1n,
    leafFormat: () => 'leaf',
    encode: (pa) => (pa >> 12n) << 10n,
    decode: (e) => ((e >> 10n) & ((1n << 44n) - 1n)) << 12n,
  },
};

function describe(v: VectorInput): ArchDescription {
  const d = archDescriptions().get(`${v.arch}-${v.mode}`);
  if (!d) throw new Error(`no arch description for ${v.arch} ${v.mode}`);
  return d;
}

function index(l: Level, va: bigint): bigint {
  const [hi, lo] = l.indexBits;
  return (va >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
}

function withFields(
  l: Level,
  format: string,
  value: bigint,
  given: Readonly<Record<string, number | string>>,
): bigint {
  const fmt = l.formats.find((f) => f.name === format);
  let out = value;
  for (const [name, raw] of Object.entries(given)) {
    const f = fmt?.fields.find((x) => x.name === name);
    if (!f) throw new Error(`${l.linux} format ${format} has no field ${name}`);
    const mask = GENMASK(f.bits[0], f.bits[1]);
    const width = (1n << BigInt(f.bits[0] - f.bits[1] + 1)) - 1n;
    const x = BigInt(raw);
    const stored = f.inverted ? ~x & width : x;
    out = (out & ~mask) | ((stored << BigInt(f.bits[1])) & mask);
  }
  return out;
}

export function build(v: VectorInput): Built {
  const d = describe(v);
  const a = ADDRESS[v.arch]!;
  const s = v.setup as unknown as SetupJson;
  const granule = 1n << BigInt(d.pageShift);
  const mem = new WordMemory();
  const order = new Map<bigint, bigint>();
  const write = (pa: bigint, value: bigint): void => {
    mem.set(pa, value);
    order.delete(pa);
    order.set(pa, value);
  };
  const treeOf = (r: unknown): number =>
    typeof r === 'object' && r !== null && 'tree' in r ? Number(r.tree) : -1;
  const trees =
    Math.max(
      0,
      ...(s.map ?? []).map((m) => m.tree ?? 0),
      ...(s.cpus ?? []).flatMap((c) => [treeOf(c.root), treeOf(c.root1)]),
    ) + 1;
  let next = BigInt(s.tables ?? s.memory.base);
  const frames: bigint[] = [];
  const allocate = (): bigint => {
    const pa = next;
    next += granule;
    frames.push(pa);
    return pa;
  };
  for (let t = 0; t < trees; t++) allocate();
  const children = new Map<bigint, bigint>();
  for (const m of s.map ?? []) {
    const size = SIZES[m.size]!;
    const leaf = d.levels.findIndex((l) => l.leafSize !== null && BigInt(l.leafSize) === size);
    const va = BigInt(m.va);
    let table = frames[m.tree ?? 0]!;
    for (let i = 0; i < leaf; i++) {
      const l = d.levels[i]!;
      const slot = table + index(l, va) * 8n;
      let child = children.get(slot);
      if (child === undefined) {
        child = allocate();
        children.set(slot, child);
        write(slot, a.encode(child) | a.table);
      }
      const extra = m.tables?.[l.linux];
      if (extra) write(slot, withFields(l, 'table', mem.get(slot), extra));
      table = child;
    }
    const l = d.levels[leaf]!;
    const slot = table + index(l, va) * 8n;
    if (m.raw !== undefined) {
      write(slot, BigInt(m.raw));
    } else {
      const format = a.leafFormat(leaf, d.levels.length);
      const match = BigInt(l.formats.find((f) => f.name === format)?.match.value ?? '0');
      write(slot, withFields(l, format, match | a.encode(BigInt(m.pa!)), m.fields ?? {}));
    }
  }
  for (const w of s.words ?? []) write(BigInt(w.pa), BigInt(w.value));
  return {
    mem,
    writes: [...order].filter(([, x]) => x !== 0n).map(([pa, value]) => ({ pa, value })),
    tableFrames: frames,
    granule,
    root(r) {
      if (r === undefined) return frames[0]!;
      if (typeof r === 'string') return BigInt(r);
      return frames[treeOf(r)] ?? frames[0]!;
    },
  };
}

/**
 * The entries a walk of `va` from `root` reads: root first, following every entry with its valid bit
 * set whose next table lies in `setup.memory`. It decides nothing about leaves or permissions.
 */
export function walkPath(v: VectorInput, mem: Memory, root: bigint, va: bigint): PathEntry[] {
  const d = describe(v);
  const a = ADDRESS[v.arch]!;
  const s = v.setup as unknown as SetupJson;
  const base = BigInt(s.memory.base);
  const end = base + BigInt(s.memory.size);
  const granule = 1n << BigInt(d.pageShift);
  const out: PathEntry[] = [];
  let table = root;
  for (const [depth, l] of d.levels.entries()) {
    const pa = table + index(l, va) * 8n;
    if (pa < base || pa + 8n > end) break;
    const value = mem.get(pa);
    out.push({ pa, value, linux: l.linux, depth });
    if ((value & a.valid) === 0n) break;
    table = a.decode(value, BigInt(d.pageShift)) & ~(granule - 1n);
  }
  return out;
}

/** Where the byte at `va` is if an entry of the path (at a level with a leaf size) were the leaf. */
export function candidates(
  v: VectorInput,
  path: readonly PathEntry[],
  va: bigint,
): { pa: bigint; linux: string }[] {
  const d = describe(v);
  const a = ADDRESS[v.arch]!;
  const out: { pa: bigint; linux: string }[] = [];
  const seen = new Set<bigint>();
  const add = (pa: bigint, linux: string): void => {
    if (!seen.has(pa)) {
      seen.add(pa);
      out.push({ pa, linux });
    }
  };
  for (const e of path) {
    const l = d.levels[e.depth]!;
    if (l.leafSize === null || (e.value & a.valid) === 0n) continue;
    const size = BigInt(l.leafSize);
    const oa = a.decode(e.value, BigInt(d.pageShift));
    add((oa & ~(size - 1n)) | (va & (size - 1n)), e.linux);
    // riscv Svnapot (priv §12.7): a 64 KiB NAPOT leaf takes VA bits 15:12 in place of PPN[3:0].
    if (v.arch === 'riscv64' && l.contiguous !== undefined) {
      const span = size * BigInt(l.contiguous);
      add((oa & ~(span - 1n)) | (va & (span - 1n)), e.linux);
    }
  }
  return out;
}
