// split_huge_pmd / split_huge_pud as the walker meets them (mm/huge_memory.c v6.19,
// __split_huge_pmd_locked, __split_huge_zero_page_pmd, __split_huge_pud_locked).
//
// A file-backed (non-anonymous) PMD and every PUD are zapped (pmdp/pudp_huge_clear_flush): the entry
// becomes none and the pages fault in again. The huge zero PMD becomes a table of special zero-page
// PTEs. An anonymous THP becomes a table of PTEs made from vm_page_prot and the PMD's write, young,
// dirty, soft-dirty and uffd-wp bits, stored with set_ptes (arm64 contpte_set_ptes sets PTE_CONT on
// every aligned block of a user mm). The TLB flushes of the split are not modelled.

import { UnsupportedError } from '../errors.ts';
import type { OpArgs } from '../ops/types.ts';
import type { MmWalk } from './pagewalk-types.ts';

const bool = (w: MmWalk, op: string, a: OpArgs): boolean => w.t.op(op, a) === true;
function u64(w: MmWalk, op: string, a: OpArgs): bigint {
  const v = w.t.op(op, a);
  if (typeof v !== 'bigint')
    throw new UnsupportedError(`${op} is not defined on ${w.t.g.desc.arch}`);
  return v;
}

/** Splits the PMD `v` at `pmdPa` if it is huge; returns whether the entry changed. */
export function split_huge_pmd(w: MmWalk, pmdPa: number, v: bigint, addr: bigint): boolean {
  const t = w.t;
  if (!t.transHuge(3, v)) {
    // pmd_is_huge (include/linux/huge_mm.h:436): every non-present, non-none PMD is split,
    // device-private entries as well as migration ones (split_huge_pmd_locked, mm/huge_memory.c:3265).
    if (!t.none(3, v) && !t.present(3, v))
      throw new UnsupportedError(
        'splitting a non-present PMD (migration or device-private) is not modelled',
      );
    return false;
  }
  const vma = w.vma!;
  const haddr = addr & ~(t.size(3) - 1n);
  // :3006 !vma_is_anonymous(vma): a VMA with vm_ops (file, shmem, special) is zapped.
  if (vma.hasVmOps || vma.file !== undefined) {
    t.write(w.tree, 3, pmdPa, haddr, 0n);
    return true;
  }
  // :3236 mk_pte(page, READ_ONCE(vma->vm_page_prot)), :2971 for the zero page: the value after
  // mmap_region's own vma_set_page_prot, as every read of it (mm/vma.ts vmPageProt).
  const prot = vma.pageProtSet ? vma.vmPageProt! : u64(w, 'vma_set_page_prot', { vma: vma.name });
  const nr = Number(t.size(3) >> BigInt(t.pageShift));
  const pfn0 = u64(w, 'pmd_pfn', { value: v });
  const st = w.st;
  let entry: bigint;
  let step = 1n;
  if (st.hugeZeroPfn !== undefined && pfn0 === st.hugeZeroPfn) {
    if (st.zeroPfn === undefined)
      throw new UnsupportedError('splitting the huge zero PMD needs setup.zero_pfn');
    entry = u64(w, 'pte_mkspecial', { pte: u64(w, 'pfn_pte', { pfn: st.zeroPfn, prot }) });
    if (bool(w, 'pmd_uffd_wp', { pmd: v })) entry = u64(w, 'pte_mkuffd_wp', { pte: entry });
    step = 0n;
  } else {
    entry = u64(w, 'pfn_pte', { pfn: pfn0, prot });
    if (bool(w, 'pmd_write', { pmd: v }))
      entry = u64(w, 'pte_mkwrite', { pte: entry, vmFlags: vma.flags });
    if (!bool(w, 'pmd_young', { pmd: v })) entry = u64(w, 'pte_mkold', { pte: entry });
    if (bool(w, 'pmd_dirty', { pmd: v })) entry = u64(w, 'pte_mkdirty', { pte: entry });
    if (bool(w, 'pmd_soft_dirty', { pmd: v })) entry = u64(w, 'pte_mksoft_dirty', { pte: entry });
    if (bool(w, 'pmd_uffd_wp', { pmd: v })) entry = u64(w, 'pte_mkuffd_wp', { pte: entry });
  }
  const table = t.m.allocTable('/steps');
  // set_ptes (include/linux/pgtable.h:289): each PTE is pte_next_pfn of the one before (x86 steps
  // an inverted PTE down, and a PTE of 0 is not inverted: 0, 0x1000, 0, ...).
  const cont = step === 0n ? false : t.h.upper.contPtes(t.pageShift) > 0 && !w.initMm;
  let next = entry;
  for (let i = 0; i < nr; i++) {
    let e = next;
    if (step !== 0n) next = t.h.upper.pte_advance_pfn(next, 1n, t.pageShift);
    if (cont) e = u64(w, 'pte_mkcont', { pte: e });
    t.write(w.tree, 4, table + i * 8, haddr, e, i);
  }
  t.write(w.tree, 3, pmdPa, haddr, t.h.upper.populate(BigInt(table), w.initMm));
  return true;
}

export function split_huge_pud(w: MmWalk, pudPa: number, addr: bigint): void {
  const t = w.t;
  if (!t.transHuge(2, t.read(pudPa))) return;
  t.write(w.tree, 2, pudPa, addr & ~(t.size(2) - 1n), 0n);
}
