// The setup of a vector: memory, the radix builder, raw words, CPUs. Everything it rejects is a
// VectorFormatError naming the entry (schemas/vector-file.schema.json#/definitions/Setup).

import { hex64, MASK64, type U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import { withFields } from '../layout/layout.ts';
import type { LinuxLevel } from '../ops/types.ts';
import type { ArchMmu } from './arch.ts';
import { SIZE_SHIFT, type Geometry } from './geometry.ts';
import { splitVa, vaIndex, vaOffset } from './halves.ts';
import { paNumber, PhysMemory } from './memory.ts';
import type { Cpu, Machine, RootArg } from './types.ts';
import { Work } from './work.ts';

export interface SetupMapping {
  readonly tree?: number;
  readonly va: U64;
  /** The leaf's PA and fields, or (`raw`) its whole value as is. */
  readonly pa?: U64;
  readonly size: string;
  readonly fields?: ReadonlyMap<string, U64>;
  readonly raw?: U64;
  readonly tables?: ReadonlyMap<LinuxLevel, ReadonlyMap<string, U64>>;
}
export interface SetupCpu {
  readonly root?: RootArg;
  readonly root1?: RootArg;
  readonly asid?: number;
  readonly features?: Readonly<Record<string, boolean | number>>;
}
export type TableEntryFor = (tree: number, pa: U64) => U64 | undefined;
export interface EngineSetup {
  readonly memory: { readonly base: U64; readonly size: U64 };
  readonly tables?: U64;
  readonly map?: readonly SetupMapping[];
  readonly words?: readonly { readonly pa: U64; readonly value: U64 }[];
  readonly cpus?: readonly SetupCpu[];
}

const MAX_MEMORY = 1n << 48n;
/** 2^s - 1 for every leaf size shift s. */
const LOW_BITS: readonly U64[] = Object.values(SIZE_SHIFT).reduce<U64[]>((t, s) => {
  t[s] = (1n << BigInt(s)) - 1n;
  return t;
}, []);

function treeOf(r: RootArg | undefined): number {
  return r !== undefined && typeof r === 'object' ? r.tree : -1;
}

export class Builder {
  readonly mem: PhysMemory;
  readonly tables: number;
  readonly trees: number;
  /** The next table frame; every frame from `stepTables` on was allocated by a step. */
  private next: number;
  stepTables = Infinity;
  private readonly leaves = new Set<number>();
  private readonly children = new Map<number, number>();

  constructor(
    private readonly mmu: ArchMmu,
    private readonly g: Geometry,
    s: EngineSetup,
    /** The table entry for a new table in a tree; the arch's hardware default when it gives none. */
    private readonly tableEntry: TableEntryFor = () => undefined,
    /** Further trees the setup uses (the mm layer's mms and init_mm). */
    trees: readonly number[] = [],
  ) {
    const { base, size } = s.memory;
    if (base % 4096n !== 0n || size % 4096n !== 0n || size === 0n || size > MAX_MEMORY)
      throw new VectorFormatError(
        'expected a 4 KiB aligned base and a non-zero size, a multiple of 4 KiB, at most 2^48',
        '/setup/memory',
      );
    this.mem = new PhysMemory(paNumber(base, '/setup/memory/base'), Number(size));
    this.tables = s.tables === undefined ? this.mem.base : paNumber(s.tables, '/setup/tables');
    if (this.tables % g.granule !== 0)
      throw new VectorFormatError(`expected a ${g.granule}-byte aligned address`, '/setup/tables');
    let last = 0;
    for (const m of s.map ?? []) last = Math.max(last, m.tree ?? 0);
    for (const c of s.cpus ?? []) last = Math.max(last, treeOf(c.root), treeOf(c.root1));
    for (const t of trees) last = Math.max(last, t);
    this.trees = last + 1;
    this.next = this.tables;
    for (let i = 0; i < this.trees; i++) this.allocate('/setup/tables');
  }

  root(tree: number): number {
    return this.tables + tree * this.g.granule;
  }

  nextTable(): number {
    return this.next;
  }

  /** A zeroed table frame after every table allocated so far (the mm layer's pXd_alloc). */
  allocate(pointer: string): number {
    const pa = this.next;
    if (!this.mem.contains(pa, this.g.granule))
      throw new VectorFormatError(
        `the radix builder's table at 0x${pa.toString(16)} is outside setup.memory`,
        pointer,
      );
    this.next += this.g.granule;
    return pa;
  }

  insert(m: SetupMapping, at: string): void {
    const { g, mmu } = this;
    const shift = SIZE_SHIFT[m.size];
    const leaf = g.levels.findIndex((l) => l.leafShift === shift);
    if (shift === undefined || leaf < 0) {
      const sizes = Object.entries(SIZE_SHIFT)
        .filter(([, s]) => g.levels.some((l) => l.leafShift === s))
        .map(([n]) => n);
      throw new VectorFormatError(
        `${g.desc.arch} ${g.desc.mode} has no ${m.size} leaf (it has: ${sizes.join(', ')})`,
        `${at}/size`,
      );
    }
    // The VA in 32-bit halves for its alignment and table indices (a bigint `%` divides).
    const [hi, lo] = splitVa(m.va);
    if (vaOffset(hi, lo, shift) !== 0 || m.va < 0n || m.va > MASK64 || !mmu.vaValid(g, m.va))
      throw new VectorFormatError(
        `expected a VA aligned to ${m.size} inside the ${g.desc.mode} address space`,
        `${at}/va`,
      );
    if (m.raw === undefined) {
      if (m.pa === undefined || m.fields === undefined)
        throw new VectorFormatError('expected `pa` and `fields`, or `raw`', at);
      if ((m.pa & LOW_BITS[shift]!) !== 0n)
        throw new VectorFormatError(`expected a PA aligned to ${m.size}`, `${at}/pa`);
      const pa = paNumber(m.pa, `${at}/pa`);
      if (!this.mem.contains(pa, 2 ** shift))
        throw new VectorFormatError(
          `${hex64(m.pa)} + ${m.size} is outside setup.memory`,
          `${at}/pa`,
        );
    } else if (m.pa !== undefined || m.fields !== undefined)
      throw new VectorFormatError('`raw` is the whole entry: no `pa` or `fields` with it', at);
    let table = this.root(m.tree ?? 0);
    for (let i = 0; i < leaf; i++) {
      const lv = g.levels[i]!;
      const slot = table + vaIndex(hi, lo, lv.shift, lv.mask) * 8;
      if (this.leaves.has(slot))
        throw new VectorFormatError(
          `overlaps an earlier mapping: the ${lv.linux} entry for ${hex64(m.va)} is already a leaf`,
          at,
        );
      let child = this.children.get(slot);
      if (child === undefined) {
        child = this.allocate(at);
        this.children.set(slot, child);
        const pa = BigInt(child);
        this.mem.write64(slot, this.tableEntry(m.tree ?? 0, pa) ?? mmu.defaultTable(pa));
      }
      const extra = m.tables?.get(lv.linux);
      if (extra)
        this.mem.write64(
          slot,
          withFields(lv.desc, 'table', this.mem.read64(slot), extra, `${at}/tables/${lv.linux}`),
        );
      table = child;
    }
    const lv = g.levels[leaf]!;
    const slot = table + vaIndex(hi, lo, lv.shift, lv.mask) * 8;
    if (this.leaves.has(slot) || this.children.has(slot))
      throw new VectorFormatError(
        `overlaps an earlier mapping: the ${lv.linux} entry for ${hex64(m.va)} is in use`,
        at,
      );
    const format = mmu.leafFormat(g, leaf);
    const fmt = lv.desc.formats.find((f) => f.name === format);
    const value =
      m.raw ??
      withFields(lv.desc, format, (fmt?.value ?? 0n) | mmu.addr(m.pa!), m.fields!, `${at}/fields`);
    this.leaves.add(slot);
    this.mem.write64(slot, value);
  }

  /** Whether `pa` is the first byte of a table the builder allocated. */
  isTable(pa: number): boolean {
    return pa >= this.tables && pa < this.next && (pa - this.tables) % this.g.granule === 0;
  }

  rootOf(r: RootArg, pointer: string): number {
    if (typeof r === 'object') return this.root(r.tree);
    const pa = paNumber(r, pointer);
    if (pa % this.g.granule !== 0)
      throw new VectorFormatError(`expected a ${this.g.granule}-byte aligned table`, pointer);
    return pa;
  }
}

export function checkFeatures(
  mmu: ArchMmu,
  g: Geometry,
  given: Readonly<Record<string, boolean | number>>,
  pointer: string,
): void {
  for (const [k, v] of Object.entries(given)) {
    const d = mmu.features[k];
    if (d === undefined || typeof d !== typeof v)
      throw new VectorFormatError(
        `${k} is not a ${g.desc.arch} feature (it has: ${Object.keys(mmu.features).join(', ')})`,
        `${pointer}/${k}`,
      );
  }
}

export function buildMachine(
  mmu: ArchMmu,
  g: Geometry,
  s: EngineSetup,
  tableEntry?: TableEntryFor,
  trees?: readonly number[],
): Machine {
  const b = new Builder(mmu, g, s, tableEntry, trees);
  const map = s.map ?? [];
  for (let i = 0; i < map.length; i++) b.insert(map[i]!, `/setup/map/${i}`);
  (s.words ?? []).forEach((w, i) => {
    const pa = paNumber(w.pa, `/setup/words/${i}/pa`);
    if (pa % 8 !== 0 || !b.mem.contains(pa, 8))
      throw new VectorFormatError(
        'expected an 8-byte aligned address inside setup.memory',
        `/setup/words/${i}/pa`,
      );
    b.mem.write64(pa, w.value);
  });
  const cpus: Cpu[] = (s.cpus ?? [{}]).map((c, i) => {
    const at = `/setup/cpus/${i}`;
    checkFeatures(mmu, g, c.features ?? {}, `${at}/features`);
    if (c.root1 !== undefined && g.desc.arch !== 'arm64')
      throw new VectorFormatError('root1 (TTBR1_EL1) exists only on arm64', `${at}/root1`);
    const cpu: Cpu = {
      root: c.root === undefined ? b.root(0) : b.rootOf(c.root, `${at}/root`),
      root1: c.root1 === undefined ? undefined : b.rootOf(c.root1, `${at}/root1`),
      asid: c.asid ?? 0,
      features: { ...mmu.features, ...c.features },
      tlb: [],
    };
    const rootAt =
      c.root !== undefined
        ? `${at}/root`
        : s.tables !== undefined
          ? '/setup/tables'
          : '/setup/memory/base';
    mmu.checkCpu?.(cpu, g, at, rootAt);
    return cpu;
  });
  const work = new Work();
  b.stepTables = b.nextTable();
  return {
    mem: b.mem,
    work,
    cpus,
    rootOf: (r: RootArg, p: string) => b.rootOf(r, p),
    treeRoot: (t: number) => b.root(t),
    allocTable: (p: string) => {
      work.charge('tables');
      return b.allocate(p);
    },
    isTableFrame: (pa: number) => b.isTable(pa),
    isStepTable: (pa: number) => pa >= b.stepTables && b.isTable(pa),
  };
}
