// riscv64 Sv39/Sv48/Sv57 address translation (riscv priv "Virtual Address Translation Process"),
// Svade/Svadu, Svnapot, Svpbmt, the address-translation cache and SFENCE.VMA (hw-facts.md §3).

import type { ArchMmu } from '../arch.ts';
import type { Geometry } from '../geometry.ts';
import { signExtended, splitVa, vaIndex, vaOffset } from '../halves.ts';
import type { PhysMemory } from '../memory.ts';
import { cacheLeaf, fromTlb, fault, levelName, translated, updateLeaf } from '../outcome.ts';
import { tlbInvalidate, tlbInvalidateVa, tlbLookup } from '../tlb.ts';
import type {
  AccessOutcome,
  AccessType,
  Cpu,
  FaultClass,
  Features,
  TlbEntry,
  Machine,
  Priv,
  Update,
} from '../types.ts';

const V = 0x1;
const R = 0x2;
const W = 0x4;
const X = 0x8;
const U = 0x10;
const G = 0x20;
const A = 0x40;
const D = 0x80;
// High-word bits: N (63), PBMT (62:61), bits 60:59 (Svrsw60t59b), reserved 58:54.
const N = 0x80000000;
const PBMT = 0x60000000;
const RSW_60_59 = 0x18000000;
const RSV_58_54 = 0x07c00000;

export const enum Walk {
  Ok,
  Invalid,
  Reserved,
  PointerAtLevel0,
  Misaligned,
  Access,
}

/** The walk's result; one object reused by every walk. */
export const w = { level: 0, lo: 0, hi: 0, slot: 0, base: 0, global: false };

/** pte.ppn as a number (bits 53:10). */
function ppnOf(hi: number, lo: number): number {
  return (hi & 0x3fffff) * 0x400000 + (lo >>> 10);
}

/**
 * riscv priv §"Virtual Address Translation Process" steps 2-5 (hw-facts §3.1). All of these are page
 * faults of the access type except a PTE read that PMA/PMP forbid (an access fault; here: outside
 * setup.memory).
 */
export function walk(
  mem: PhysMemory,
  g: Geometry,
  root: number,
  hi: number,
  lo: number,
  f: Features,
): Walk {
  const reserved = RSV_58_54 | (f.Svrsw60t59b === true ? 0 : RSW_60_59);
  let a = root;
  let global = false;
  for (let i = 0; i < g.levels.length; i++) {
    const lv = g.levels[i]!;
    const slot = a + vaIndex(hi, lo, lv.shift, lv.mask) * 8;
    w.level = i;
    w.slot = slot;
    if (!mem.contains(slot, 8)) return Walk.Access;
    const k = mem.index(slot);
    const elo = k < 0 ? 0 : mem.words[k]!;
    const ehi = k < 0 ? 0 : mem.words[k + 1]!;
    // Step 3: V=0; R=0 with W=1 is an encoding reserved for future use.
    if ((elo & V) === 0) return Walk.Invalid;
    if ((elo & (R | W)) === W) return Walk.Reserved;
    const leaf = (elo & (R | W | X)) !== 0;
    const pbmt = ehi & PBMT;
    if (
      (ehi & reserved) !== 0 ||
      pbmt === PBMT ||
      (pbmt !== 0 && (f.PBMTE !== true || !leaf)) ||
      // Svnapot: N=1 is defined only in a level-0 leaf with ppn[3:0] = 1000 (64 KiB).
      ((ehi & N) !== 0 &&
        (f.Svnapot !== true || !leaf || lv.leafShift !== 12 || (elo & 0x3c00) !== 0x2000)) ||
      // Non-leaf PTEs: D, A and U are reserved.
      (!leaf && (elo & (D | A | U)) !== 0)
    )
      return Walk.Reserved;
    global ||= (elo & G) !== 0;
    const ppn = ppnOf(ehi, elo);
    if (!leaf) {
      // Step 4: a pointer at level 0 is a page fault.
      if (i === g.levels.length - 1) return Walk.PointerAtLevel0;
      a = ppn * 4096;
      continue;
    }
    const levelBits = lv.leafShift - 12;
    // Step 5 (misaligned superpage): ppn[i-1:0] != 0.
    if (ppn % 2 ** levelBits !== 0) return Walk.Misaligned;
    w.lo = elo;
    w.hi = ehi;
    w.global = global;
    w.base = ((ehi & N) !== 0 ? ppn - 8 : ppn) * 4096;
    return Walk.Ok;
  }
  return Walk.Invalid;
}

/** Steps 6-8 (hw-facts §3.2): U and SUM, then R/W/X with MXR. */
function allowed(lo: number, t: AccessType, p: Priv, f: Features): boolean {
  if ((lo & U) !== 0 ? p === 'supervisor' && (t === 'fetch' || f.SUM !== true) : p === 'user')
    return false;
  if (t === 'load') return (lo & R) !== 0 || ((lo & X) !== 0 && f.MXR === true);
  return (lo & (t === 'store' ? W : X)) !== 0;
}

const WALK_CLASS: Readonly<Record<number, FaultClass>> = {
  [Walk.Invalid]: 'translation',
  [Walk.PointerAtLevel0]: 'translation',
  [Walk.Reserved]: 'reserved',
  [Walk.Misaligned]: 'misaligned',
};

const CAUSE: Readonly<Record<AccessType, number>> = { fetch: 12, load: 13, store: 15 };
const ACCESS_CAUSE: Readonly<Record<AccessType, number>> = { fetch: 1, load: 5, store: 7 };

function access(
  m: Machine,
  cpu: Cpu,
  g: Geometry,
  va: bigint,
  t: AccessType,
  p: Priv,
): AccessOutcome {
  const [hi, lo] = splitVa(va);
  const f = cpu.features;
  // stval: the spec allows 0 or the VA; the model writes the VA (Linux's do_page_fault needs it).
  const trap = (cls: FaultClass, level: number | null, updates: Update[]) =>
    fault(
      cls,
      levelName(g, level),
      { scause: cls === 'access' ? ACCESS_CAUSE[t] : CAUSE[t], stval: va },
      updates,
    );
  // A fetch is the instruction fetch of a hart whose pc is `va`. A pc that IALIGN forbids (odd with
  // C, IALIGN=16; not 4-byte aligned without C) is an instruction-address-misaligned exception
  // (scause 0, stval = the target), before translation (Sail riscv `fetch`). With C no control
  // transfer can produce an odd pc (JALR clears bit 0): the exception is what such a pc would raise.
  if (t === 'fetch' && (lo & (f.C === true ? 1 : 3)) !== 0)
    return fault('alignment', null, { scause: 0, stval: va }, []);
  if (!signExtended(hi, g.vaBits)) return trap('non-canonical', null, []);
  const hit = tlbLookup(cpu, va, cpu.asid);
  // Any translation valid since the last covering SFENCE.VMA may be used; A/D updates go to memory
  // only (step 9 cannot use the cache), so a store through a cached D=0 entry walks again.
  if (hit && !(t === 'store' && (Number(hit.leaf & 0xffn) & D) === 0)) {
    const elo = Number(hit.leaf & 0xffffffffn);
    if (!allowed(elo, t, p, f)) return trap('permission', hit.level, []);
    // PMA checks the physical address of every access, a cached translation's too.
    const pa = hit.pa + Number(va - hit.vaBase);
    if (!m.mem.contains(pa)) return trap('access', hit.level, []);
    return fromTlb(g, hit, va);
  }
  const r = walk(m.mem, g, cpu.root, hi, lo, f);
  // A PTE read outside memory is caused by the entry that pointed there (none for the root).
  if (r === Walk.Access) return trap('access', w.level === 0 ? null : w.level - 1, []);
  if (r !== Walk.Ok) return trap(WALK_CLASS[r]!, w.level, []);
  const level = w.level;
  if (!allowed(w.lo, t, p, f)) return trap('permission', level, []);
  // Step 9: A=0, or a store with D=0: Svade faults, Svadu (menvcfg.ADUE) updates atomically.
  const nlo = w.lo | A | (t === 'store' ? D : 0);
  if (nlo >>> 0 !== w.lo && f.ADUE !== true)
    return trap((w.lo & A) === 0 ? 'access-flag' : 'dirty', level, []);
  const updates: Update[] = [];
  const leaf = updateLeaf(m.mem, w.slot, w.level, w.lo, nlo, w.hi, updates);
  const shift = (w.hi & N) !== 0 ? 16 : g.levels[level]!.leafShift;
  cacheLeaf(cpu, va, shift, {
    asid: cpu.asid,
    global: w.global,
    level,
    leaf,
    pa: w.base,
    attrs: 0,
  });
  const pa = w.base + vaOffset(hi, lo, shift);
  // PMA: an access outside setup.memory is an access fault.
  if (!m.mem.contains(pa)) return trap('access', level, updates);
  return translated(pa, g.levels[level]!.linux, updates);
}

export const riscvMmu: ArchMmu = {
  features: {
    SUM: false,
    MXR: false,
    ADUE: false,
    Svnapot: false,
    PBMTE: false,
    Svrsw60t59b: false,
    C: true,
  },
  defaultTable: (pa) => ((pa >> 12n) << 10n) | BigInt(V),
  addr: (pa) => (pa >> 12n) << 10n,
  leafFormat: () => 'leaf',
  vaValid: (g, va) => signExtended(splitVa(va)[0], g.vaBits),
  access,
  featuresChanged: () => undefined,
  ops: {
    write_satp(m, cpu, _g, a) {
      cpu.root = m.rootOf(a.root ?? 0n, '/args/root');
      cpu.asid = a.asid ?? 0;
    },
    // SFENCE.VMA (riscv priv "Supervisor Memory-Management Fence Instruction"): rs1 selects the leaf
    // entries of one VA, rs2 one address space, excluding global mappings.
    sfence_vma(_m, cpu, _g, a) {
      const va = a.va;
      const asid = a.asid;
      const which = (e: TlbEntry) => asid === undefined || (!e.global && e.asid === asid);
      if (va === undefined) tlbInvalidate(cpu, which);
      else tlbInvalidateVa(cpu, va, which);
    },
  },
};
