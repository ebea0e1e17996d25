// x86_64 IA-32e paging (4-level, and 5-level with LA57): the walk, access rights, A/D, #PF/#GP and the
// TLB (Intel SDM vol. 3A ch. 4; hw-facts.md §1).

import { UnsupportedError, VectorFormatError } from '../../errors.ts';
import type { ArchMmu } from '../arch.ts';
import type { Geometry } from '../geometry.ts';
import { addrOf, signExtended, splitVa, vaIndex, vaOffset } from '../halves.ts';
import type { PhysMemory } from '../memory.ts';
import { cacheLeaf, fromTlb, entryWord, fault, translated, updateLeaf } from '../outcome.ts';
import { tlbInvalidate, tlbInvalidateVa, tlbLookup } from '../tlb.ts';
import type { AccessOutcome, AccessType, Cpu, Features, Machine, Priv, Update } from '../types.ts';

const P = 0x1;
const RW = 0x2;
const US = 0x4;
const A = 0x20;
const D = 0x40;
const PS = 0x80;
const G = 0x100;
/** XD is bit 63: bit 31 of the high word. */
const XD = 0x80000000;

// #PF error code bits (SDM §4.7).
const PF_P = 0x1;
const PF_W = 0x2;
const PF_U = 0x4;
const PF_RSVD = 0x8;
const PF_ID = 0x10;

// Combined rights kept in a TLB entry (SDM §4.10.2.2): AND(R/W), AND(U/S), OR(XD).
const R_RW = 1;
const R_US = 2;
const R_XD = 4;

export const enum Walk {
  Ok,
  NotPresent,
  Reserved,
  Misaligned,
  OutsideMemory,
}

/** The walk's result; one object reused by every walk (no allocation on the hot path). */
export const w = { level: 0, lo: 0, hi: 0, slot: 0, base: 0, rights: 0 };

function stop(level: number, slot: number, r: Walk): Walk {
  w.level = level;
  w.slot = slot;
  return r;
}

/**
 * SDM §4.5 / hw-facts §1.1: per entry, P=0 stops (reserved bits are not checked in a non-present
 * entry), then reserved bits, then A is set in a non-leaf entry as it is used. Model choice: upper-level
 * A bits are set even when the walk then faults (QEMU's mmu_translate; the SDM does not settle it).
 */
export function walk(
  mem: PhysMemory,
  g: Geometry,
  root: number,
  hi: number,
  lo: number,
  f: Features,
  updates: Update[] | null,
): Walk {
  const nxe = f.NXE === true;
  const maxpa = f.MAXPHYADDR as number;
  const rsvdHi = maxpa >= 52 ? 0 : (0xfffff & ~(2 ** (maxpa - 32) - 1)) >>> 0;
  const last = g.levels.length - 1;
  let table = root;
  let rights = R_RW | R_US;
  for (let i = 0; i <= last; i++) {
    const lv = g.levels[i]!;
    const slot = table + vaIndex(hi, lo, lv.shift, lv.mask) * 8;
    if (!mem.contains(slot, 8)) return stop(i, slot, Walk.OutsideMemory);
    const k = mem.index(slot);
    let elo = k < 0 ? 0 : mem.words[k]!;
    const ehi = k < 0 ? 0 : mem.words[k + 1]!;
    if ((elo & P) === 0) return stop(i, slot, Walk.NotPresent);
    const ps = i !== last && (elo & PS) !== 0;
    // PS in a PML4E/PML5E, XD without NXE, address bits at or above MAXPHYADDR (SDM §4.5, Table 4-20).
    if ((ehi & rsvdHi) !== 0 || (!nxe && (ehi & XD) !== 0) || (ps && lv.leafShift < 0))
      return stop(i, slot, Walk.Reserved);
    // A 2M/1G leaf's address bits below its size, except PAT (bit 12), are reserved.
    if (ps && (elo & lv.leafLow & ~0x1fff) !== 0) return stop(i, slot, Walk.Misaligned);
    if ((elo & RW) === 0) rights &= ~R_RW;
    if ((elo & US) === 0) rights &= ~R_US;
    if (nxe && (ehi & XD) !== 0) rights |= R_XD;
    if (i === last || ps) {
      w.level = i;
      w.slot = slot;
      w.lo = elo;
      w.hi = ehi;
      w.rights = rights;
      w.base = addrOf(ehi, elo, 0xfffff, 0xfffff000 & ~lv.leafLow);
      return Walk.Ok;
    }
    if ((elo & A) === 0) {
      elo |= A;
      mem.writeHalves(slot, elo, ehi);
      updates?.push({ pa: slot, value: entryWord(elo, ehi) });
    }
    table = addrOf(ehi, elo, 0xfffff, 0xfffff000);
  }
  return Walk.NotPresent;
}

/** SDM §4.6.1 (hw-facts §1.2): does `rights` allow the access? */
function allowed(rights: number, t: AccessType, p: Priv, f: Features): boolean {
  const userPage = (rights & R_US) !== 0;
  const writable = (rights & R_RW) !== 0;
  const xd = (rights & R_XD) !== 0;
  if (p === 'user') {
    if (!userPage) return false;
    if (t === 'store') return writable;
    if (t === 'fetch') return !xd;
    return true;
  }
  if (t === 'fetch') return !xd && !(userPage && f.SMEP === true);
  // Explicit supervisor data accesses; SMAP honours EFLAGS.AC.
  if (userPage && f.SMAP === true && f.AC !== true) return false;
  return t !== 'store' || writable || f.WP !== true;
}

function pf(code: number, t: AccessType, p: Priv, f: Features): number {
  let c = code;
  if (t === 'store') c |= PF_W;
  if (p === 'user') c |= PF_U;
  if (t === 'fetch' && (f.NXE === true || f.SMEP === true)) c |= PF_ID;
  return c;
}

const pcidOf = (cpu: Cpu) => (cpu.features.PCIDE === true ? cpu.asid : 0);
const sameSpace = (pcid: number) => (e: { global: boolean; asid: number }) =>
  e.global || e.asid === pcid;

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
  // A non-canonical address is #GP(0), not #PF (SDM §3.3.7.1; hw-facts §1.1).
  if (!signExtended(hi, g.vaBits))
    return fault('non-canonical', null, { exception: '#GP', errorCode: 0 }, []);
  const pcid = pcidOf(cpu);
  const pageFault = (
    cls: 'translation' | 'reserved' | 'misaligned' | 'permission',
    level: number,
    code: number,
    updates: Update[],
  ) => {
    // A #PF invalidates the TLB entries for the faulting page (SDM §4.10.4.1).
    tlbInvalidateVa(cpu, va, sameSpace(pcid));
    return fault(
      cls,
      g.levels[level]!.linux,
      { exception: '#PF', errorCode: pf(code, t, p, f), cr2: va },
      updates,
    );
  };
  const hit = tlbLookup(cpu, va, pcid);
  if (hit) {
    if (!allowed(hit.attrs, t, p, f)) return pageFault('permission', hit.level, PF_P, []);
    // A store through a clean cached entry sets D with a locked update of the PTE in memory, which
    // re-reads it (SDM §4.8; hw-facts §1.3 LKML-SHSTK): model it as a fresh walk.
    if (t !== 'store' || (Number(hit.leaf) & D) !== 0) return fromTlb(g, hit, va);
  }
  const updates: Update[] = [];
  const r = walk(m.mem, g, cpu.root, hi, lo, f, updates);
  // x86 architects no fault for a paging-structure read outside RAM: the platform decides.
  if (r === Walk.OutsideMemory)
    throw new UnsupportedError('an x86_64 walk reading outside setup.memory is platform-defined');
  if (r === Walk.NotPresent) return pageFault('translation', w.level, 0, updates);
  if (r === Walk.Reserved) return pageFault('reserved', w.level, PF_P | PF_RSVD, updates);
  if (r === Walk.Misaligned) return pageFault('misaligned', w.level, PF_P | PF_RSVD, updates);
  const level = w.level;
  // Leaf A (and D on a store) only once the access is allowed (hw-facts §1.3; QEMU).
  if (!allowed(w.rights, t, p, f)) return pageFault('permission', level, PF_P, updates);
  const lv = g.levels[level]!;
  const shift = lv.leafShift;
  const leaf = updateLeaf(m.mem, w.slot, w.lo, w.lo | A | (t === 'store' ? D : 0), w.hi, updates);
  // SDM §4.10.2.3: only translations with P=1, no reserved bits and A=1 everywhere are cached.
  cacheLeaf(cpu, va, shift, {
    asid: pcid,
    global: f.PGE === true && (Number(leaf & 0xffffffffn) & G) !== 0,
    level,
    leaf,
    pa: w.base,
    attrs: w.rights,
  });
  return translated(w.base + vaOffset(hi, lo, shift), lv.linux, updates);
}

function noGp(cond: boolean, what: string, pointer: string): void {
  if (cond) throw new VectorFormatError(`${what} raises #GP(0); the step cannot run`, pointer);
}

export const x86Mmu: ArchMmu = {
  features: {
    WP: true,
    NXE: true,
    SMEP: false,
    SMAP: false,
    AC: false,
    PGE: false,
    PCIDE: false,
    MAXPHYADDR: 52,
  },
  defaultTable: (pa) => pa | BigInt(P | RW | US | A),
  addr: (pa) => pa,
  leafFormat: (g, level) => (level === g.levels.length - 1 ? 'present' : 'leaf'),
  vaValid: (g, va) => signExtended(splitVa(va)[0], g.vaBits),
  access,
  featuresChanged(cpu, before) {
    const f = cpu.features;
    // SDM §4.10.4.1 MOV to CR4.
    if (f.PGE !== before.PGE || (before.PCIDE === true && f.PCIDE !== true)) cpu.tlb = [];
    else if (before.SMEP !== true && f.SMEP === true) {
      const pcid = pcidOf(cpu);
      tlbInvalidate(cpu, (e) => !e.global && e.asid === pcid);
    }
  },
  ops: {
    // SDM §4.10.4.1: MOV to CR3 invalidates the non-global entries of the new PCID, unless PCIDE and
    // bit 63 are set; with PCIDE=0 all non-global entries.
    write_cr3(m, cpu, _g, a) {
      const pcide = cpu.features.PCIDE === true;
      noGp(a.noflush === true && !pcide, 'CR3 bit 63 with CR4.PCIDE=0', '/args/noflush');
      cpu.root = m.rootOf(a.root ?? 0n, '/args/root');
      cpu.asid = pcide ? (a.pcid ?? 0) : 0;
      if (a.noflush !== true) tlbInvalidate(cpu, (e) => !e.global && e.asid === cpu.asid);
    },
    // INVLPG: the current PCID's entries for the page, and global entries for it. A non-canonical
    // address makes it a no-op (SDM INVLPG).
    invlpg(_m, cpu, _g, a) {
      const va = a.va ?? 0n;
      tlbInvalidateVa(cpu, va, sameSpace(pcidOf(cpu)));
    },
    invpcid(_m, cpu, g, a) {
      const pcid = a.pcid ?? 0;
      noGp(
        cpu.features.PCIDE !== true && pcid !== 0 && (a.type === 0 || a.type === 1),
        'INVPCID of a non-zero PCID with CR4.PCIDE=0',
        '/args/pcid',
      );
      if (a.type === 0) {
        const va = a.va ?? 0n;
        noGp(
          !signExtended(splitVa(va)[0], g.vaBits),
          'INVPCID type 0 of a non-canonical address',
          '/args/va',
        );
        tlbInvalidateVa(cpu, va, (e) => !e.global && e.asid === pcid);
      } else if (a.type === 1) tlbInvalidate(cpu, (e) => !e.global && e.asid === pcid);
      else if (a.type === 2) cpu.tlb = [];
      else tlbInvalidate(cpu, (e) => !e.global);
    },
  },
};
