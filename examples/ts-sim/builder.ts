// A vector's `setup` (schema Setup) as a machine: memory, the radix builder's page tables (roots of
// trees 0..n first, then 4 KiB tables upward from `setup.tables` in the order first needed), raw
// words, and the harts with their roots, ASIDs and features.

import type { Json, StepInput } from 'ptvec';
import { Memory, parseHex, SimError } from './memory.ts';
import {
  FEATURE_DEFAULTS,
  Hart,
  Mmu,
  PAGE_SHIFT,
  PAGE_SIZE,
  ppnOf,
  PPN_SHIFT,
  PTE,
} from './riscv-mmu.ts';

type JsonObject = { readonly [k: string]: Json };

export const isObject = (v: Json | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: Json | undefined): readonly Json[] => (Array.isArray(v) ? v : []);

/** A step's args are JSON (the schema's args of its op). */
export const argsOf = (s: StepInput): JsonObject => s.args as unknown as JsonObject;

/** Bit ranges [hi, lo] of the named fields of vectors/arch/riscv64-*.json: leaf and table formats. */
type Fields = Readonly<Record<string, readonly [number, number]>>;
const COMMON: Fields = {
  N: [63, 63],
  PBMT: [62, 61],
  RSV: [58, 54],
  PPN: [53, 10],
  D: [7, 7],
  A: [6, 6],
  G: [5, 5],
  U: [4, 4],
  X: [3, 3],
  W: [2, 2],
  R: [1, 1],
  V: [0, 0],
};
const LEAF: Fields = {
  ...COMMON,
  UFFD_WP: [60, 60],
  SOFT_DIRTY: [59, 59],
  RSW9: [9, 9],
  SPECIAL: [8, 8],
};
const TABLE: Fields = { ...COMMON, RSV_60_59: [60, 59], RSW: [9, 8] };

function applyFields(
  value: bigint,
  fields: Json | undefined,
  format: Fields,
  where: string,
): bigint {
  if (!isObject(fields)) throw new SimError(`${where}: fields must be an object`);
  for (const [name, v] of Object.entries(fields)) {
    const bits = format[name];
    if (!bits) throw new SimError(`${where}: unknown field ${name}`);
    const n =
      typeof v === 'number' && Number.isInteger(v) && v >= 0 ? BigInt(v) : parseHex(v, name);
    const mask = (1n << BigInt(bits[0] - bits[1] + 1)) - 1n;
    if ((n & ~mask) !== 0n)
      throw new SimError(`${where}: ${name} does not fit bits ${bits[0]}:${bits[1]}`);
    value = (value & ~(mask << BigInt(bits[1]))) | (n << BigInt(bits[1]));
  }
  return value;
}

const SIZES = ['4K', '2M', '1G', '512G', '256T'];

export const featureKeys = Object.keys(FEATURE_DEFAULTS);

export function setFeatures(h: Hart, features: Json | undefined, where: string): void {
  if (!isObject(features)) throw new SimError(`${where}: features must be an object`);
  for (const [k, v] of Object.entries(features)) {
    if (!featureKeys.includes(k) || typeof v !== 'boolean')
      throw new SimError(`${where}: ${k} is not a riscv64 feature this MMU has`);
    h.features[k as keyof typeof FEATURE_DEFAULTS] = v;
  }
}

export class Machine {
  readonly mmu: Mmu;
  readonly roots: bigint[] = [];
  readonly harts: Hart[] = [];
  private next: bigint;

  constructor(levels: number, setup: Json | undefined, steps: readonly StepInput[]) {
    if (!isObject(setup) || !isObject(setup.memory)) throw new SimError('setup.memory is missing');
    const mem = new Memory(
      parseHex(setup.memory.base, 'memory.base'),
      parseHex(setup.memory.size, 'memory.size'),
    );
    this.mmu = new Mmu(levels, mem);
    this.next = setup.tables === undefined ? mem.base : parseHex(setup.tables, 'setup.tables');
    const trees = [
      ...list(setup.map).map((m) => (isObject(m) ? m.tree : undefined)),
      ...list(setup.cpus).map((c) => (isObject(c) && isObject(c.root) ? c.root.tree : undefined)),
      ...steps.map((s) => {
        const root = argsOf(s).root;
        return isObject(root) ? root.tree : undefined;
      }),
    ].filter((t): t is number => typeof t === 'number');
    for (let t = 0; t <= Math.max(0, ...trees); t++) this.roots.push(this.table());
    list(setup.map).forEach((m, k) => this.map(m, `setup/map/${k}`));
    for (const w of list(setup.words)) {
      if (!isObject(w)) throw new SimError('setup/words: a word is an object');
      mem.write64(this.wordPa(w.pa, 'setup/words'), parseHex(w.value, 'value'));
    }
    const cpus = setup.cpus === undefined ? [{}] : list(setup.cpus);
    cpus.forEach((c, k) => {
      if (!isObject(c)) throw new SimError(`setup/cpus/${k}: a CPU is an object`);
      const root = c.root === undefined ? this.roots[0]! : this.root(c.root, `setup/cpus/${k}`);
      const h = new Hart(root, typeof c.asid === 'number' ? c.asid : 0, { ...FEATURE_DEFAULTS });
      if (c.features !== undefined) setFeatures(h, c.features, `setup/cpus/${k}`);
      this.harts.push(h);
    });
  }

  /** A RootArg: a 4 KiB aligned address, or a tree of the builder. */
  root(v: Json | undefined, where: string): bigint {
    if (isObject(v)) {
      const r = typeof v.tree === 'number' ? this.roots[v.tree] : undefined;
      if (r === undefined) throw new SimError(`${where}: root names no tree of the setup`);
      return r;
    }
    const pa = parseHex(v, `${where}: root`);
    if (pa % PAGE_SIZE !== 0n) throw new SimError(`${where}: root must be 4 KiB aligned`);
    return pa;
  }

  wordPa(v: Json | undefined, where: string): bigint {
    const pa = parseHex(v, `${where}: pa`);
    if (pa % 8n !== 0n || !this.mmu.mem.contains(pa, 8n))
      throw new SimError(`${where}: pa must be 8-byte aligned and inside memory`);
    return pa;
  }

  private table(): bigint {
    if (!this.mmu.mem.contains(this.next, PAGE_SIZE))
      throw new SimError('setup: no room for a page table');
    const a = this.next;
    this.next += PAGE_SIZE;
    return a;
  }

  /** One Mapping: tables on the path created or followed, the leaf, then `tables` fields. */
  private map(m: Json, where: string): void {
    if (!isObject(m)) throw new SimError(`${where}: a mapping is an object`);
    const { mmu } = this;
    const level = SIZES.indexOf(typeof m.size === 'string' ? m.size : '');
    if (level < 0 || level >= mmu.levels)
      throw new SimError(`${where}: size is not a leaf size of this mode`);
    const va = parseHex(m.va, `${where}: va`);
    const bytes = 1n << (PAGE_SHIFT + 9n * BigInt(level));
    if (va % bytes !== 0n || !mmu.canonical(va))
      throw new SimError(`${where}: va must be canonical and aligned`);
    const root = this.roots[typeof m.tree === 'number' ? m.tree : 0];
    if (root === undefined) throw new SimError(`${where}: bad tree`);
    const slots: bigint[] = [];
    let a = root;
    for (let i = mmu.levels - 1; i > level; i--) {
      const slot = a + mmu.vpn(va, i) * 8n;
      const pte = mmu.mem.read64(slot);
      slots[i] = slot;
      if (pte === 0n) {
        a = this.table();
        mmu.mem.write64(slot, ((a >> PAGE_SHIFT) << PPN_SHIFT) | PTE.V);
      } else if ((pte & PTE.V) !== 0n && (pte & (PTE.R | PTE.W | PTE.X)) === 0n) {
        a = ppnOf(pte) << PAGE_SHIFT;
      } else throw new SimError(`${where}: overlaps an earlier mapping`);
    }
    const slot = a + mmu.vpn(va, level) * 8n;
    if (mmu.mem.read64(slot) !== 0n) throw new SimError(`${where}: overlaps an earlier mapping`);
    let leaf: bigint;
    if (m.raw !== undefined) leaf = parseHex(m.raw, `${where}: raw`);
    else {
      const pa = parseHex(m.pa, `${where}: pa`);
      if (pa % bytes !== 0n || !mmu.mem.contains(pa, bytes))
        throw new SimError(`${where}: pa must be aligned and inside memory`);
      leaf = applyFields(PTE.V | ((pa >> PAGE_SHIFT) << PPN_SHIFT), m.fields ?? {}, LEAF, where);
    }
    mmu.mem.write64(slot, leaf);
    if (m.tables === undefined) return;
    if (!isObject(m.tables)) throw new SimError(`${where}: tables must be an object`);
    for (const [name, fields] of Object.entries(m.tables)) {
      const i = [...Array(mmu.levels).keys()].find((l) => mmu.levelName(l) === name);
      const s = i === undefined ? undefined : slots[i];
      if (s === undefined)
        throw new SimError(`${where}: tables.${name} is not on this mapping's path`);
      mmu.mem.write64(s, applyFields(mmu.mem.read64(s), fields, TABLE, where));
    }
  }
}
