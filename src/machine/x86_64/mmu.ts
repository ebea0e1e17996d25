// x86_64 IA-32e paging (4-level, and 5-level with LA57): the walk, access rights, A/D, #PF/#GP, the
// TLB, and the #GP(0) of MOV to CR3/CR4 (Intel SDM vol. 3A ch. 4, vol. 2B MOV; hw-facts.md §1).

import { UnsupportedError, VectorFormatError } from '../../errors.ts';
import { arg } from '../../ops/args.ts';
import type { ArchMmu } from '../arch.ts';
import { checkFeatures } from '../builder.ts';
import type { Geometry } from '../geometry.ts';
import { addrOf, signExtended, splitVa, vaIndex, vaOffset } from '../halves.ts';
import type { PhysMemory } from '../memory.ts';
import { cacheLeaf, fromTlb, entryWord, fault, translated, updateLeaf } from '../outcome.ts';
import { tlbInvalidate, tlbInvalidateVa, tlbLookup } from '../tlb.ts';
import type {
  AccessOutcome,
  AccessType,
  Cpu,
  Features,
  Machine,
  Priv,
  Update,
  X86Report,
} from '../types.ts';

declare module '../../ops/types.ts' {
  interface OpResults {
    /** What MOV to CR3/CR4 reports instead of completing. */
    x86Exception: X86Report;
  }
}

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
      updates?.push({
        pa: slot,
        level: i,
        old: entryWord(elo, ehi),
        value: entryWord(elo | A, ehi),
      });
      elo |= A;
      mem.writeHalves(slot, elo, ehi);
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
  const leaf = updateLeaf(
    m.mem,
    w.slot,
    level,
    w.lo,
    w.lo | A | (t === 'store' ? D : 0),
    w.hi,
    updates,
  );
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

/** #GP(0): the instruction does not execute, so no register and no TLB entry changes. */
const GP: X86Report = { exception: '#GP', errorCode: 0 };

/**
 * CR3[11:0] as loaded, kept even while CR4.PCIDE=0 (PWT, PCD and ignored bits then, SDM §4.5 Table
 * 4-12): MOV to CR4 checks it when setting PCIDE. `cpu.asid` is always the current PCID (§4.10.1:
 * 000H while PCIDE=0), which is what TLB entries and the kernel's flushes are matched against.
 */
const cr3Low = new WeakMap<Cpu, number>();

/** Whether a CR3 whose bits 51:12 hold `root` has a reserved bit set: bits 63:MAXPHYADDR (SDM §4.5
 * Tables 4-12 and 4-13; bits 62:52 are reserved at every MAXPHYADDR). */
const rootReserved = (root: bigint, f: Features) => root >> BigInt(f.MAXPHYADDR as number) !== 0n;

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
  // The setup is not a MOV to CR3: a root above MAXPHYADDR is a CR3 no instruction could have loaded
  // (MOV to CR3 raises #GP(0) for it), so there is no hardware state to walk from.
  checkCpu(cpu, _g, at, rootAt) {
    const f = cpu.features;
    if (rootReserved(BigInt(cpu.root), f))
      throw new VectorFormatError(
        `the root table 0x${cpu.root.toString(16)} is at or above 2^MAXPHYADDR (MAXPHYADDR=${String(f.MAXPHYADDR)}): ` +
          'CR3 cannot hold it (MOV to CR3 raises #GP(0) for reserved bits 63:MAXPHYADDR); ' +
          'put the tables below 2^MAXPHYADDR, or use a write_cr3 step to test the #GP',
        rootAt,
      );
    cr3Low.set(cpu, cpu.asid);
    if (f.PCIDE !== true) cpu.asid = 0;
  },
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
    // MOV to CR3 (SDM vol. 2B MOV; vol. 3A §4.5 Tables 4-12/4-13, §4.10.4.1). #GP(0) for a 1 in a
    // reserved bit: 63:MAXPHYADDR of the root, and bit 63 (`noflush`) unless CR4.PCIDE=1, when it is
    // the no-flush hint and is not written. Otherwise it loads the root and CR3[11:0] and invalidates
    // the new current PCID's non-global entries, unless PCIDE and bit 63 are set.
    write_cr3(m, cpu, _g, a) {
      const f = cpu.features;
      const pcide = f.PCIDE === true;
      const r = a.root ?? 0n;
      if (typeof r === 'bigint' && r >> 63n !== 0n)
        throw new VectorFormatError(
          'CR3 bit 63 is the `noflush` argument, not a bit of `root`',
          '/args/root',
        );
      if (a.noflush === true && !pcide) return GP;
      if (typeof r === 'bigint' && rootReserved(r, f)) return GP;
      const root = m.rootOf(r, '/args/root');
      if (rootReserved(BigInt(root), f)) return GP;
      cpu.root = root;
      cr3Low.set(cpu, a.pcid ?? 0);
      cpu.asid = pcide ? (a.pcid ?? 0) : 0;
      if (a.noflush !== true) tlbInvalidate(cpu, (e) => !e.global && e.asid === cpu.asid);
      return undefined;
    },
    // MOV to CR4 (and CR0.WP, EFER.NXE, EFLAGS.AC: the model's other registers). #GP(0), with no
    // register changed, when it would set CR4.PCIDE while CR3[11:0] != 000H (SDM vol. 2B MOV, 64-bit
    // mode exceptions; vol. 3A §4.10.1). The model is always in IA-32e mode, so the other PCIDE 0->1
    // #GP (IA32_EFER.LMA=0) cannot arise; PAE and LA57, whose changes in IA-32e mode are #GP, are fixed
    // by the mode and are no features (naming them is a format error), and MAXPHYADDR is CPUID, not
    // a register.
    set_features(_m, cpu, g, a) {
      const given = arg(a, 'features');
      checkFeatures(x86Mmu, g, given, '/args/features');
      if (given.MAXPHYADDR !== undefined)
        throw new VectorFormatError(
          'MAXPHYADDR is CPUID.80000008H:EAX[7:0], not a control register: set it in setup.cpus[].features',
          '/args/features/MAXPHYADDR',
        );
      const f = cpu.features;
      if (f.PCIDE !== true && given.PCIDE === true && (cr3Low.get(cpu) ?? 0) !== 0) return GP;
      const before = { ...f };
      Object.assign(f, given);
      x86Mmu.featuresChanged(cpu, before);
      // The current PCID is CR3[11:0] with PCIDE=1, 000H without (§4.10.1).
      cpu.asid = f.PCIDE === true ? (cr3Low.get(cpu) ?? 0) : 0;
      return undefined;
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
