// mm/hugetlb.c (Linux v6.19) hugetlb_fault (:5967) with hugetlb_no_page (:5717) and hugetlb_wp
// (:5445), for the PMD and PUD sizes: a uffd-wp marker is populated like a none entry and keeps the
// protection, a write to a uffd-wp entry goes to userfaultfd (or, with WP_ASYNC, has the bit cleared
// and goes on), MISSING and MINOR hand the fault over. Model choices: no allocation of a new hugetlb
// folio (a fault that needs one — a hole of the file, a private copy — is unsupported), reservations
// always succeed, no PMD sharing, and the hstate index of VM_FAULT_SET_HINDEX is not reported.

import type { U64 } from '../bits/u64.ts';
import { UnsupportedError } from '../errors.ts';
import { FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE } from './fault-flags.ts';
import { handle_userfault } from './handle_userfault.ts';
import {
  arch_make_huge_pte,
  huge_pte_alloc,
  huge_pte_mkuffd_wp,
  hstate_vma,
  set_huge_pte_at,
  type Hstate,
} from './hugetlb.ts';
import type { Vma } from './state.ts';
import { folio_mapcount } from './task_mmu.ts';
import {
  userfaultfd_minor,
  userfaultfd_missing,
  userfaultfd_wp,
  userfaultfd_wp_async,
} from './userfaultfd_k.ts';
import {
  emit,
  pageState,
  pfn_pte,
  pteIs,
  pteOf,
  VM_FAULT_HWPOISON_LARGE,
  VM_FAULT_SIGBUS,
  VM_FAULT_SIGSEGV,
  type FaultEnv,
  type VmFault,
} from './vm-fault.ts';

/** :4831 make_huge_pte: writable and dirty only for a shared writable mapping; always young. */
function make_huge_pte(f: FaultEnv, h: Hstate, vma: Vma, pfn: U64, try_mkwrite: boolean): U64 {
  let entry = pfn_pte(f, pfn, f.vmPageProt(vma));
  if (try_mkwrite && vma.flags.has('VM_WRITE'))
    entry = pteOf(f, 'pte_mkwrite_novma', pteOf(f, 'pte_mkdirty', entry));
  else entry = pteOf(f, 'pte_wrprotect', entry);
  return arch_make_huge_pte(f, h, pteOf(f, 'pte_mkyoung', entry));
}

/** :4848 set_huge_ptep_writable: huge_ptep_set_access_flags of the entry made writable and dirty. */
function set_huge_ptep_writable(f: FaultEnv, vmf: VmFault): void {
  // huge_pte_mkwrite is pte_mkwrite_novma (include/asm-generic/hugetlb.h:18): x86 keeps SavedDirty.
  const entry = pteOf(f, 'pte_mkwrite_novma', pteOf(f, 'pte_mkdirty', f.t.read(vmf.pte!)));
  if (f.arch.ptep_set_access_flags(f, vmf, entry, true)) f.arch.update_mmu_cache(f, vmf.address);
}

/** :5445 hugetlb_wp for a write fault (never UNSHARE: a user fault). */
function hugetlb_wp(f: FaultEnv, vmf: VmFault): number {
  const vma = vmf.vma;
  const pte = f.t.read(vmf.pte!);
  // :5466 never CoW a uffd-wp entry: only the CoW optimization of hugetlb_no_page gets here.
  if (pteIs(f, 'pte_uffd_wp', pte)) return 0;
  if (vma.flags.has('VM_MAYSHARE')) {
    set_huge_ptep_writable(f, vmf);
    return 0;
  }
  const pfn = f.helper('pte_pfn', { value: pte }) as U64;
  const page = pageState(f.st, pfn);
  // :5491 the only mapping of an anonymous folio is reused.
  if (page.anon && folio_mapcount(f, pfn) === 1) {
    page.exclusive = true;
    if (vma.flags.has('VM_WRITE')) set_huge_ptep_writable(f, vmf);
    return 0;
  }
  throw new UnsupportedError('hugetlb_wp copying the folio (a new hugetlb folio) is not modelled');
}

/** :5717 hugetlb_no_page, for a none entry or a uffd-wp marker (vmf.orig_pte). */
function hugetlb_no_page(f: FaultEnv, vmf: VmFault, h: Hstate): number {
  const vma = vmf.vma;
  const file = vma.file === undefined ? undefined : f.st.files.get(vma.file);
  const shift = BigInt(f.t.pageShift);
  // filemap_lock_hugetlb_folio: the page-cache index of the huge page's first base page.
  const index = ((vmf.address - vma.start) >> shift) + vma.pgoff;
  const cached = file?.cache.get(index);
  if (!cached) {
    // :5750 past i_size.
    if (file?.size !== undefined && index >= file.size) return VM_FAULT_SIGBUS;
    // :5754 hugetlb_handle_userfault(VM_UFFD_MISSING).
    if (userfaultfd_missing(vma)) return handle_userfault(f, vmf, 'VM_UFFD_MISSING');
    throw new UnsupportedError('hugetlb_no_page allocating a new hugetlb folio is not modelled');
  }
  // :5845 a cached folio in a MINOR VMA.
  if (userfaultfd_minor(vma)) return handle_userfault(f, vmf, 'VM_UFFD_MINOR');
  let new_pte = make_huge_pte(f, h, vma, cached.pfn, vma.flags.has('VM_SHARED'));
  // :5888 a fault through a uffd-wp marker keeps the protection (no VM_UFFD_WP check).
  if (f.helper('pte_is_uffd_wp_marker', { pte: vmf.orig_pte }) === true)
    new_pte = huge_pte_mkuffd_wp(f, new_pte);
  set_huge_pte_at(f, h, vmf.pte!, vmf.address, new_pte);
  // :5893 a private write goes on to CoW at once.
  if (vmf.flags & FAULT_FLAG_WRITE && !vma.flags.has('VM_SHARED')) return hugetlb_wp(f, vmf);
  return 0;
}

/** :5967 hugetlb_fault. */
export function hugetlb_fault(f: FaultEnv, vma: Vma, address: U64, flags: number): number {
  const h = hstate_vma(f, vma, 'hugetlb_fault');
  const aligned = address & ~(h.size - 1n);
  const pa = huge_pte_alloc(f, aligned, h); // :6006 a fault always allocates the tables
  const vmf: VmFault = {
    vma,
    address: aligned,
    real_address: address,
    flags,
    pgoff:
      ((aligned - vma.start) >> BigInt(h.shift)) + (vma.pgoff >> BigInt(h.shift - f.t.pageShift)),
    pmd: pa,
    level: h.c,
    pte: pa,
    orig_pte: f.t.read(pa),
    page: null,
    cow_page: null,
  };
  const orig = vmf.orig_pte;
  if (pteIs(f, 'pte_none', orig)) return hugetlb_no_page(f, vmf, h);
  if (!pteIs(f, 'pte_present', orig)) {
    const entry = f.helper('softleaf_from_pte', { pte: orig }) as U64;
    const type = f.helper('softleaf_type', { entry }) as string;
    if (type === 'SOFTLEAF_MARKER') {
      // :6021 poison, guard (WARN: never installed in hugetlb), or a uffd-wp marker: populate.
      if (f.helper('softleaf_is_poison_marker', { entry }) === true) return VM_FAULT_HWPOISON_LARGE;
      if (f.helper('softleaf_is_guard_marker', { entry }) === true) {
        emit(f, { event: 'warn', func: 'hugetlb_fault' });
        return VM_FAULT_SIGSEGV;
      }
      return hugetlb_no_page(f, vmf, h);
    }
    if (type === 'SOFTLEAF_HWPOISON') return VM_FAULT_HWPOISON_LARGE; // :6056
    if (type.startsWith('SOFTLEAF_MIGRATION_'))
      throw new UnsupportedError('migration_entry_wait_huge is not modelled');
    return 0; // :6062
  }
  // :6086 userfault-wp first.
  if (
    userfaultfd_wp(vma) &&
    pteIs(f, 'pte_uffd_wp', orig) &&
    flags & FAULT_FLAG_WRITE &&
    !pteIs(f, 'pte_write', orig)
  ) {
    if (!userfaultfd_wp_async(vma)) return handle_userfault(f, vmf, 'VM_UFFD_WP');
    vmf.orig_pte = pteOf(f, 'pte_clear_uffd_wp', orig);
    set_huge_pte_at(f, h, pa, aligned, vmf.orig_pte);
  }
  let entry = vmf.orig_pte;
  if (flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) {
    if (!pteIs(f, 'pte_write', entry)) return hugetlb_wp(f, vmf); // :6103
    if (flags & FAULT_FLAG_WRITE) entry = pteOf(f, 'pte_mkdirty', entry);
  }
  entry = pteOf(f, 'pte_mkyoung', entry);
  if (f.arch.ptep_set_access_flags(f, vmf, entry, (flags & FAULT_FLAG_WRITE) !== 0))
    f.arch.update_mmu_cache(f, aligned);
  return 0;
}
