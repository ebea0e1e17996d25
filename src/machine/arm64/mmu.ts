// arm64 VMSAv8-64 stage 1, EL1&0 regime, 4K/16K/64K granules: the walk, permissions, AF/DBM,
// Data/Instruction Abort syndromes and the TLB (Arm ASL AArch64_S1Translate and friends as cited in
// hw-facts.md §2).

import type { ArchMmu, MachineOp } from '../arch.ts';
import type { Geometry } from '../geometry.ts';
import { addrOf, splitVa, vaIndex, vaOffset } from '../halves.ts';
import type { PhysMemory } from '../memory.ts';
import { cacheLeaf, fromTlb, fault, levelName, translated, updateLeaf } from '../outcome.ts';
import { tlbInvalidate, tlbInvalidateVa, tlbLookup } from '../tlb.ts';
import type {
  AccessOutcome,
  AccessType,
  Cpu,
  FaultClass,
  Features,
  Machine,
  Priv,
  TlbEntry,
  Update,
} from '../types.ts';

const VALID = 0x1;
const TABLE = 0x2;
const AP1 = 0x40;
const AP2 = 0x80;
const AF = 0x400;
const NG = 0x800;
// Upper-half bits (descriptor bit n is bit n-32 of the high word).
const DBM = 1 << 19;
const PXN = 1 << 21;
const UXN = 1 << 22;
const PXN_TABLE = 1 << 27;
const UXN_TABLE = 1 << 28;
const AP_TABLE0 = 1 << 29;
const AP_TABLE1 = 1 << 30;
const TABLE_ATTRS = PXN_TABLE | UXN_TABLE | AP_TABLE0 | AP_TABLE1;

export const enum Walk {
  Ok,
  Translation,
  AddressSize,
  ExternalAbort,
}

/** The walk's result; one object reused by every walk. */
export const w = { level: 0, lo: 0, hi: 0, slot: 0, base: 0, attrs: 0 };

/** OA bits [47:PS] set: an Address size fault (ASL AArch64_OAOutOfRange). Bits 51:48 are ignored. */
function beyondPs(hi: number, ps: number): boolean {
  return ps < 48 && (hi & 0xffff) >>> (ps - 32) !== 0;
}

/**
 * ASL AArch64_S1Walk (hw-facts §2.1): descriptor bit 0 clear, or type 01 where no block is allowed
 * (always at the last level), is a Translation fault at that level; table and output addresses beyond
 * PS are Address size faults; a block's output-address bits below its size are ignored.
 */
export function walk(
  mem: PhysMemory,
  g: Geometry,
  root: number,
  hi: number,
  lo: number,
  ps: number,
): Walk {
  const last = g.levels.length - 1;
  let table = root;
  let attrs = 0;
  for (let i = 0; i <= last; i++) {
    const lv = g.levels[i]!;
    const slot = table + vaIndex(hi, lo, lv.shift, lv.mask) * 8;
    w.level = i;
    w.slot = slot;
    // Model choice: a descriptor read outside setup.memory is a synchronous external abort on the walk.
    if (!mem.contains(slot, 8)) return Walk.ExternalAbort;
    const k = mem.index(slot);
    const elo = k < 0 ? 0 : mem.words[k]!;
    const ehi = k < 0 ? 0 : mem.words[k + 1]!;
    if ((elo & VALID) === 0) return Walk.Translation;
    if (i < last && (elo & TABLE) !== 0) {
      if (beyondPs(ehi, ps)) return Walk.AddressSize;
      attrs |= ehi & TABLE_ATTRS;
      table = addrOf(ehi, elo, 0xffff, ~(g.granule - 1));
      continue;
    }
    if (i === last ? (elo & TABLE) === 0 : lv.leafShift < 0) return Walk.Translation;
    if (beyondPs(ehi, ps)) return Walk.AddressSize;
    w.lo = elo;
    w.hi = ehi;
    w.attrs = attrs;
    w.base = addrOf(ehi, elo, 0xffff, ~(2 ** lv.leafShift - 1));
    return Walk.Ok;
  }
  return Walk.Translation;
}

/** ASL AArch64_S1DirectBasePermissions / S1CheckPermissions without PIE/POE (hw-facts §2.2). */
function allowed(
  lo: number,
  hi: number,
  attrs: number,
  t: AccessType,
  p: Priv,
  f: Features,
): boolean {
  // With HA=HD=1 a DBM=1 descriptor is writable: AP[2] is treated as 0 (ASL AArch64_S1ApplyOutputPerms).
  const dirtyable = f.HA === true && f.HD === true && (hi & DBM) !== 0;
  const ro = ((lo & AP2) !== 0 && !dirtyable) || (attrs & AP_TABLE1) !== 0;
  const ur = (lo & AP1) !== 0 && (attrs & AP_TABLE0) === 0;
  const uw = ur && !ro;
  const pw = !ro;
  let ux = (hi & UXN) === 0 && (attrs & UXN_TABLE) === 0;
  // EL1 can never execute a page that EL0 can write.
  let px = (hi & PXN) === 0 && (attrs & PXN_TABLE) === 0 && !uw;
  if (f.WXN === true) {
    ux &&= !uw;
    px &&= !pw;
  }
  if (p === 'user') return t === 'load' ? ur : t === 'store' ? uw : ux;
  if (t === 'fetch') return px;
  if (f.PAN === true && (ur || uw || (f.EPAN === true && ux))) return false;
  return t === 'load' || pw;
}

// ESR_ELx.EC (ASL AArch64_ExceptionClass) and FSC (ASL EncodeLDFSC).
function report(t: AccessType, p: Priv, fsc: number, va: bigint) {
  const ec = (t === 'fetch' ? 0x20 : 0x24) | (p === 'user' ? 0 : 1);
  return t === 'fetch' ? { ec, fsc, far: va } : { ec, fsc, wnr: t === 'store', far: va };
}
const FSC: Readonly<Record<string, number>> = {
  'address-size': 0x00,
  translation: 0x04,
  'non-canonical': 0x04,
  'access-flag': 0x08,
  permission: 0x0c,
};

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
  // A fetch is the instruction fetch of a PE whose PC is `va`. PC[1:0] != 0 in AArch64 state is a PC
  // alignment fault (EC 0x22 from any EL, ISS RES0, FAR = PC), taken before the fetch is translated
  // (ASL AArch64_CheckPCAlignment → AArch64_PCAlignmentFault): no walk, no TLB lookup.
  if (t === 'fetch' && (lo & 3) !== 0)
    return fault('alignment', null, { ec: 0x22, fsc: 0, far: va }, []);
  const abort = (cls: FaultClass, level: number | null, updates: Update[]) =>
    fault(
      cls,
      levelName(g, level),
      report(t, p, (FSC[cls] ?? 0) + (level === null ? 0 : g.levels[level]!.number), va),
      updates,
    );
  // VA[55] selects TTBR1; the bits above the VA size must all equal it (TBI off), else a level 0
  // Translation fault (ASL AArch64_VAIsOutOfRange).
  const upper = (hi & (1 << 23)) !== 0;
  const top = hi >> (g.vaBits - 32);
  if (top !== (upper ? -1 : 0)) return abort('non-canonical', null, []);
  const root = upper ? cpu.root1 : cpu.root;
  // No TTBR1 table: walks disabled (TCR_EL1.EPD1=1), a level 0 Translation fault.
  if (root === undefined) return abort('translation', null, []);
  const dbmWalk = (e: TlbEntry) =>
    f.HA === true &&
    f.HD === true &&
    (Number(e.leaf >> 32n) & DBM) !== 0 &&
    (Number(e.leaf & 0xffffffffn) & AP2) !== 0;
  const hit = tlbLookup(cpu, va, cpu.asid);
  // With HA=HD=1 a cached DBM=1 AP[2]=1 entry is not used for a write: the walk is redone (ASL
  // AArch64_S1Walk TLB-hit condition). Permission faults may come from a cached entry.
  if (hit && !(t === 'store' && dbmWalk(hit))) {
    const elo = Number(hit.leaf & 0xffffffffn);
    const ehi = Number(hit.leaf >> 32n);
    if (!allowed(elo, ehi, hit.attrs, t, p, f)) return abort('permission', hit.level, []);
    // The access itself still goes to memory: outside setup.memory it aborts as after a walk.
    if (!m.mem.contains(hit.pa + Number(va - hit.vaBase)))
      return fault('external-abort', g.levels[hit.level]!.linux, report(t, p, 0x10, va), []);
    return fromTlb(g, hit, va);
  }
  // A TTBR base address beyond PS is an Address size fault reported at level 0, whatever the start
  // level (Arm ARM R_VPBBF; ASL AArch64_S1Walk; linux-v6.19 arch/arm64/kvm/at.c:343-362).
  if (beyondPs(Math.floor(root / 2 ** 32), f.PS as number)) return abort('address-size', null, []);
  const r = walk(m.mem, g, root, hi, lo, f.PS as number);
  if (r === Walk.Translation) return abort('translation', w.level, []);
  if (r === Walk.AddressSize) return abort('address-size', w.level, []);
  // FSC names the level of the failed lookup; the cross-arch level is the entry that pointed there.
  if (r === Walk.ExternalAbort)
    return fault(
      'external-abort',
      levelName(g, w.level === 0 ? null : w.level - 1),
      report(t, p, 0x14 + g.levels[w.level]!.number, va),
      [],
    );
  const level = w.level;
  // AF=0 without hardware AF is an Access flag fault, before permissions (hw-facts §2.1).
  if ((w.lo & AF) === 0 && f.HA !== true) return abort('access-flag', level, []);
  // Model choice: on a Permission fault AF is not set (CONSTRAINED UNPREDICTABLE, ASL
  // AArch64_SettingAccessFlagPermitted; QEMU does not set it).
  if (!allowed(w.lo, w.hi, w.attrs, t, p, f)) return abort('permission', level, []);
  let nlo = w.lo;
  if (f.HA === true) nlo |= AF;
  // HD (with HA) clears AP[2] of a DBM=1 descriptor on a write (ASL AArch64_S1Translate).
  if (t === 'store' && f.HA === true && f.HD === true && (w.hi & DBM) !== 0) nlo &= ~AP2;
  const updates: Update[] = [];
  const leaf = updateLeaf(m.mem, w.slot, w.level, w.lo, nlo, w.hi, updates);
  const shift = g.levels[level]!.leafShift;
  cacheLeaf(cpu, va, shift, {
    asid: cpu.asid,
    global: (nlo & NG) === 0,
    level,
    leaf,
    pa: w.base,
    attrs: w.attrs,
  });
  const pa = w.base + vaOffset(hi, lo, shift);
  // Model choice: an access to a PA outside setup.memory is a synchronous external abort (FSC 0x10).
  if (!m.mem.contains(pa))
    return fault('external-abort', g.levels[level]!.linux, report(t, p, 0x10, va), updates);
  return translated(pa, g.levels[level]!.linux, updates);
}

// TLBI (ASL AArch64_TLBI_*; hw-facts §2.5): the IS forms reach every PE, the others only this one.
function tlbi(
  m: Machine,
  cpu: Cpu,
  _g: Geometry,
  a: { type?: number | string; va?: bigint; asid?: number },
): void {
  const type = String(a.type);
  const targets = type.endsWith('is') ? m.cpus : [cpu];
  const op = type.replace(/is$/, '');
  const va = a.va ?? 0n;
  const asid = a.asid ?? 0;
  for (const c of targets)
    if (op === 'vae1' || op === 'vale1') tlbInvalidateVa(c, va, (e) => e.global || e.asid === asid);
    else if (op === 'vaae1' || op === 'vaale1') tlbInvalidateVa(c, va, () => true);
    else tlbInvalidate(c, op === 'aside1' ? (e) => !e.global && e.asid === asid : () => true);
}

const writeTtbr0: MachineOp = (m, cpu, _g, a) => {
  cpu.root = m.rootOf(a.root ?? 0n, '/args/root');
  cpu.asid = a.asid ?? 0;
};
const writeTtbr1: MachineOp = (m, cpu, _g, a) => {
  cpu.root1 = m.rootOf(a.root ?? 0n, '/args/root');
};

export const arm64Mmu: ArchMmu = {
  features: { HA: false, HD: false, PAN: false, EPAN: false, WXN: false, PS: 48 },
  defaultTable: (pa) => pa | BigInt(VALID | TABLE),
  addr: (pa) => pa,
  leafFormat: (g, level) => (level === g.levels.length - 1 ? 'page' : 'block'),
  vaValid: (g, va) => {
    const top = va >> BigInt(g.vaBits);
    return top === 0n || top === (1n << BigInt(64 - g.vaBits)) - 1n;
  },
  access,
  featuresChanged: () => undefined,
  ops: { tlbi, write_ttbr0_el1: writeTtbr0, write_ttbr1_el1: writeTtbr1 },
};
