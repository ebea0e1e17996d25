// fs/proc/task_mmu.c (Linux v6.19) do_pagemap_scan (:3021): the PAGEMAP_SCAN ioctl of
// /proc/pid/pagemap (include/uapi/linux/fs.h:442-503). The argument checks of
// pagemap_scan_get_args (:2923), the walk with pagemap_scan_ops (:2916: test_walk :2576,
// pmd_entry :2733, pte_hole :2892, hugetlb_entry :2832), the categories of a PTE (:2342), the regions
// in the bounce buffer (:2618-2680, :2976-3019), and PM_SCAN_WP_MATCHING's make_uffd_wp_pte (:2392)
// and uffd_wp_range of a hole (:2909); huge PMDs and hugetlb entries in pagemap_scan_huge.ts.
// Model choices: the task has enabled neither LAM (x86) nor pointer masking (riscv), so untagged_addr
// changes only arm64 addresses; the copies to and from user memory (the struct, the regions,
// walk_end) succeed: only access_ok reads `vec`, and the regions copied to it are the result; no
// fatal signal (-EINTR), no failed allocation (-ENOMEM); on arm64 the TLB flushes of the
// contiguous-block unfold and fold make_uffd_wp_pte causes are not events.

import { MASK64, type U64 } from '../bits/u64.ts';
import { contpte_try_fold, contpte_try_unfold } from './arm64-contpte.ts';
import { change_protection } from './change_protection.ts';
import { MM_CP_UFFD_WP } from './mm_cp.ts';
import { MmuGather } from './mmu_gather.ts';
import {
  ENOENT,
  pagemap_scan_hugetlb_entry,
  pagemap_scan_thp_entry,
  type ScanPrivate,
} from './pagemap_scan_huge.ts';
import { ACTION_AGAIN, genericHugePteOffset, walk_page_range, type MmWalk } from './pagewalk.ts';
import type { EntryChange } from './pgtable.ts';
import { userfaultfd_wp_async, userfaultfd_wp_use_markers } from './userfaultfd_k.ts';
import {
  flushRange,
  is_zero_pfn,
  softleaf_to_pfn,
  vm_normal_page,
  type FaultEnv,
  type FaultEvent,
} from './vm-fault.ts';
import type { VmaEnv } from './vma.ts';
import { folio_not_anon } from './task_mmu.ts';
import { PAGE_IS, PM_SCAN_ARG_SIZE, type PmScanArg } from './pagemap_scan_args.ts';

export { PAGE_IS, PM_SCAN, pm_scan_arg, type PmScanArg } from './pagemap_scan_args.ts';

// The PAGE_IS_* bits a PTE-level scan sets (PAGE_IS_HUGE: pagemap_scan_huge.ts).
const WPALLOWED = 1 << 0;
const WRITTEN = 1 << 1;
const FILE = 1 << 2;
const PRESENT = 1 << 3;
const SWAPPED = 1 << 4;
const PFNZERO = 1 << 5;
const SOFT_DIRTY = 1 << 7;
const GUARD = 1 << 8;
/** :2327 PM_SCAN_CATEGORIES, :2332 PM_SCAN_FLAGS; sizeof(struct pm_scan_arg), of page_region. */
const PM_SCAN_CATEGORIES = 0x1ffn;
const PM_SCAN_FLAGS = 0x3n;
const WP_MATCHING = 1n;
const CHECK_WPASYNC = 2n;
const PAGE_REGION_SIZE = 24n;
const [EPERM, EFAULT, EINVAL, ENOSPC] = [-1, -14, -22, -28];

/** struct page_region (fs.h:464), its categories by name. */
export interface PageRegion {
  readonly start: U64;
  readonly end: U64;
  readonly categories: readonly string[];
}
/** What PAGEMAP_SCAN did (schemas PagemapScanResult). */
export interface PagemapScanResult {
  readonly kind: 'pagemap_scan';
  readonly ret: number;
  readonly regions: readonly PageRegion[];
  /** What the ioctl wrote back to arg->walk_end; null when it returned before that (:3029). */
  readonly walk_end: U64 | null;
  readonly events: readonly FaultEvent[];
  readonly changes: readonly EntryChange[];
}

/**
 * TASK_SIZE_MAX, the limit of access_ok: x86 task_size_max (arch/x86/include/asm/page_64.h:94-102,
 * USER_PTR_MAX = TASK_SIZE_MAX arch/x86/kernel/cpu/common.c:2605), arm64 1 << VA_BITS
 * (arch/arm64/include/asm/processor.h:57), riscv TASK_SIZE (asm-generic/access_ok.h:16,
 * arch/riscv/include/asm/pgtable.h:1221 PGDIR_SIZE * PTRS_PER_PGD / 2).
 */
function taskSizeMax(arch: string, vaBits: number): U64 {
  if (arch === 'x86_64') return (1n << BigInt(vaBits - 1)) - 4096n;
  return 1n << BigInt(arch === 'arm64' ? vaBits : vaBits - 1);
}

/**
 * access_ok(ptr, size): x86's (arch/x86/include/asm/uaccess_64.h:98-107, for a size that is not
 * a compile-time constant: ptr + size neither wraps nor passes USER_PTR_MAX) and the generic one
 * (asm-generic/access_ok.h:31-41: size <= limit && ptr <= limit - size) are both
 * ptr + size <= limit, counted without wrapping.
 */
const access_ok = (limit: U64, ptr: U64, size: U64): boolean => ptr + size <= limit;

/** untagged_addr: arm64's clears the tag byte (arch/arm64/include/asm/memory.h:282-289). */
function untagged_addr(arch: string, addr: U64): U64 {
  if (arch !== 'arm64') return addr;
  return addr & ((addr >> 55n) & 1n ? MASK64 : (1n << 56n) - 1n);
}

/** A slot of the bounce buffer (kmalloc'd: a slot's categories are stale until it is written). */
interface Slot {
  start: U64;
  end: U64;
  categories: number;
}

/** :3021 do_pagemap_scan on the mm of `f`. */
export function pagemap_scan(
  f: FaultEnv,
  e: VmaEnv,
  arch: string,
  vaBits: number,
  arg: PmScanArg,
): PagemapScanResult {
  const t = f.t;
  const PAGE = t.pageSize;
  const result = (ret: number, walk_end: U64 | null, regions: PageRegion[] = []) =>
    ({
      kind: 'pagemap_scan',
      ret,
      regions,
      walk_end,
      events: f.events,
      changes: t.changed(),
    }) as const;
  const limit = taskSizeMax(arch, vaBits);
  // :2923 pagemap_scan_get_args, in its order; its errors return before walk_end is written back.
  if (arg.size !== PM_SCAN_ARG_SIZE) return result(EINVAL, null);
  if (arg.flags & ~PM_SCAN_FLAGS) return result(EINVAL, null);
  const any = arg.category_inverted | arg.category_mask | arg.category_anyof_mask | arg.return_mask;
  if (any & ~PM_SCAN_CATEGORIES) return result(EINVAL, null);
  const start = untagged_addr(arch, arg.start);
  let end = untagged_addr(arch, arg.end);
  const vec = untagged_addr(arch, arg.vec);
  if (start & (PAGE - 1n)) return result(EINVAL, null);
  if (!access_ok(limit, start, (end - start) & MASK64)) return result(EFAULT, null);
  if (vec === 0n && arg.vec_len !== 0n) return result(EINVAL, null);
  // :2950 (vec_len > SIZE_MAX) is for 32-bit kernels only; size_mul saturates at SIZE_MAX.
  const bytes = arg.vec_len * PAGE_REGION_SIZE;
  if (vec !== 0n && !access_ok(limit, vec, bytes > MASK64 ? MASK64 : bytes))
    return result(EFAULT, null);
  end = (end + PAGE - 1n) & ~(PAGE - 1n);
  let walk_end = 0n;
  const max_pages = arg.max_pages === 0n ? MASK64 : arg.max_pages;
  const flags = arg.flags;
  const [inverted, mask, anyof, return_mask] = [
    arg.category_inverted,
    arg.category_mask,
    arg.category_anyof_mask,
    arg.return_mask,
  ].map(Number) as [number, number, number, number];
  // :3032 masks_of_interest: PAGE_IS_FILE is computed only when a mask asks about it.
  const wantFile = ((mask | anyof | return_mask) & FILE) !== 0;

  // :2976 pagemap_scan_init_bounce_buffer: min(PAGEMAP_WALK_SIZE >> PAGE_SHIFT, vec_len) slots.
  let vec_len = arg.vec_len;
  const walkPages = BigInt(t.size(3) / PAGE);
  const buf: Slot[] | null = vec_len ? [{ start: 0n, end: 0n, categories: -1 }] : null;
  let buf_len = vec_len ? Number(walkPages < vec_len ? walkPages : vec_len) : 0;
  let buf_index = 0;
  let found_pages = 0n;
  let cur_vma_category = 0;

  /** :2552 pagemap_scan_is_interesting_page. */
  const interesting = (c: number): boolean =>
    ((c ^ inverted) & mask) === mask && (!anyof || ((c ^ inverted) & anyof) !== 0);
  /** :2618 pagemap_scan_push_range. */
  const push_range = (categories: number, addr: U64, to: U64): boolean => {
    let cur = buf![buf_index]!;
    if (addr === cur.end && categories === cur.categories) {
      cur.end = to;
      return true;
    }
    if (cur.end) {
      if (buf_index >= buf_len - 1) return false;
      cur = buf![++buf_index] ??= { start: 0n, end: 0n, categories: -1 };
    }
    Object.assign(cur, { start: addr, end: to, categories });
    return true;
  };
  /** :2648 pagemap_scan_output: the ret and the end, cut by max_pages or by a full buffer. */
  const output = (categories: number, addr: U64, to: U64): [number, U64] => {
    if (!buf) return [0, to];
    let n_pages = (to - addr) / PAGE;
    let ret = 0;
    if (found_pages + n_pages > max_pages) {
      const n_too_much = found_pages + n_pages - max_pages;
      to -= n_too_much * PAGE;
      n_pages -= n_too_much;
      ret = ENOSPC;
    }
    if (!push_range(categories & return_mask, addr, to)) {
      to = addr;
      n_pages = 0n;
      ret = ENOSPC;
    }
    found_pages += n_pages;
    if (ret) walk_end = to;
    return [ret, to];
  };

  const is = (name: string, pte: U64): boolean => f.helper(name, { pte }) === true;
  /** :2342 pagemap_page_category. */
  const page_category = (pte: U64): number => {
    if (is('pte_none', pte)) return 0;
    const notAnon = (pfn: U64) => folio_not_anon(f, pfn);
    let c: number;
    if (is('pte_present', pte)) {
      c = PRESENT;
      if (!is('pte_uffd_wp', pte)) c |= WRITTEN;
      if (wantFile) {
        const page = vm_normal_page(f, pte);
        if (page !== null && notAnon(page)) c |= FILE;
      }
      if (is_zero_pfn(f.st, f.helper('pte_pfn', { value: pte }) as U64)) c |= PFNZERO;
      if (is('pte_soft_dirty', pte)) c |= SOFT_DIRTY;
    } else {
      c = SWAPPED;
      if (!is('pte_swp_uffd_wp_any', pte)) c |= WRITTEN;
      const entry = f.helper('softleaf_from_pte', { pte }) as U64;
      if (f.helper('softleaf_is_guard_marker', { entry }) === true) c |= GUARD;
      else if (wantFile && f.helper('softleaf_has_pfn', { entry }) === true)
        if (notAnon(softleaf_to_pfn(f, entry))) c |= FILE;
      if (is('pte_swp_soft_dirty', pte)) c |= SOFT_DIRTY;
    }
    return c;
  };
  /** :2392 make_uffd_wp_pte: the uffd-wp bit, a marker for a none PTE, the swap bit otherwise. */
  const make_uffd_wp_pte = (w: MmWalk, pa: number, addr: U64, pte: U64): void => {
    let v: U64;
    if (is('pte_present', pte)) {
      // ptep_modify_prot_start is get_and_clear_ptes(.., 1) (arch/arm64/mm/mmu.c:2139-2142,
      // 2158-2161), which on arm64 unfolds a contiguous block first (arch/arm64/include/asm/
      // pgtable.h:1828-1836); ptep_modify_prot_commit is set_ptes(.., 1) (mmu.c:2163-2174,
      // pgtable.h:1794-1805): pte_mknoncont, the store, contpte_try_fold.
      const old = contpte_try_unfold(w, addr, pa);
      v = t.h.upper.set_pte_at(f.helper('pte_mkuffd_wp', { pte: old }) as U64);
      t.write(f.mm.tree, 4, pa, addr, v);
      contpte_try_fold(w, addr, pa, v);
      return;
    }
    if (is('pte_none', pte)) v = f.helper('make_pte_marker', { marker: 1 }) as U64;
    else v = f.helper('pte_swp_mkuffd_wp', { pte }) as U64;
    t.write(f.mm.tree, 4, pa, addr, v);
  };

  /** :2576 pagemap_scan_test_walk. */
  const test_walk = (w: MmWalk): number => {
    const vma = w.vma!;
    const wp_allowed = userfaultfd_wp_async(vma) && userfaultfd_wp_use_markers(vma);
    if (!wp_allowed) {
      if (flags & CHECK_WPASYNC) return EPERM;
      if (flags & WP_MATCHING) return 1;
    }
    if (vma.flags.has('VM_PFNMAP')) return 1;
    let c = wp_allowed ? WPALLOWED : 0;
    // VM_SOFTDIRTY is VM_NONE without CONFIG_MEM_SOFT_DIRTY (include/linux/mm.h:431-435; never
    // on arm64), and no VMA gets it unless pgtable_supports_soft_dirty() (mm/vma.c:2603; riscv:
    // Svrsw60t59b).
    if (e.prot.supportsSoftDirty(e.config) && vma.flags.has('VM_SOFTDIRTY')) c |= SOFT_DIRTY;
    // :2564 pagemap_scan_is_interesting_vma: only the WPALLOWED bit of category_mask.
    if (((c ^ inverted) & mask & WPALLOWED) !== (mask & WPALLOWED)) return 1;
    cur_vma_category = c;
    return 0;
  };

  /** :2733 pagemap_scan_pmd_entry: its three PTE loops in one. */
  const pmd_entry = (w: MmWalk, pmdPa: number, start: U64, end: U64): number => {
    // :2743 pagemap_scan_thp_entry takes a huge or non-present PMD (pmd_trans_huge_lock).
    const thp = pagemap_scan_thp_entry(huge, w, pmdPa, start, end);
    if (thp !== ENOENT) return thp;
    // :2748 no PTE table (a file THP the split zapped): ACTION_AGAIN, the walker finds a none PMD.
    if (t.none(3, t.read(pmdPa))) {
      w.action = ACTION_AGAIN;
      return 0;
    }
    const pa0 = t.offset(4, pmdPa, start, t.m.treeRoot(w.tree));
    const n = Number((end - start) / PAGE);
    t.m.work.charge('visits', n);
    // :2756 the exclusive-WP fast path (no output buffer) protects every PTE not uffd-wp yet,
    // whatever the masks; :2772 the WRITTEN fast path reports each such PTE as WRITTEN (none PTEs
    // too) and protects it with WP_MATCHING; :2796 the general path tests the categories.
    const exclusive = flags & WP_MATCHING && !buf;
    const writtenOnly = !anyof && !inverted && mask === WRITTEN && return_mask === WRITTEN;
    let ret = 0;
    let flush_start = start;
    let flush_end = 0n;
    let j = 0;
    for (; j < n; j++) {
      const pa = pa0 + 8 * j;
      const pte = t.read(pa);
      const addr = start + BigInt(j) * PAGE;
      let next = addr + PAGE;
      if (exclusive || writtenOnly) {
        // :2761 already protected: a present uffd-wp PTE, a swap uffd-wp bit or a uffd-wp marker.
        if ((is('pte_present', pte) && is('pte_uffd_wp', pte)) || is('pte_swp_uffd_wp_any', pte))
          continue;
      }
      if (!exclusive) {
        const c = cur_vma_category | (writtenOnly ? WRITTEN : page_category(pte));
        if (!writtenOnly && !interesting(c)) continue;
        [ret, next] = output(c, addr, next);
        if (next === addr) break;
        if (!(flags & WP_MATCHING) || !(c & WRITTEN)) continue;
      }
      make_uffd_wp_pte(w, pa, addr, pte);
      if (!flush_end) flush_start = addr;
      flush_end = next;
    }
    // :2820 flush_tlb_range(vma, start, addr): the first PTE protected to where the loop ended.
    if (flush_end) flushRange(f, 'flush_tlb_range', flush_start, start + BigInt(j) * PAGE);
    return ret;
  };

  /** :2892 pagemap_scan_pte_hole: the VMA's categories; uffd_wp_range protects the hole. */
  const pte_hole = (w: MmWalk, addr: U64, next: U64): number => {
    const vma = w.vma;
    if (!vma || !interesting(cur_vma_category)) return 0;
    const [ret, to] = output(cur_vma_category, addr, next);
    if (addr === to || !(flags & WP_MATCHING)) return ret;
    // :2909 uffd_wp_range(vma, addr, end - addr, true) (mm/userfaultfd.c:907-934):
    // change_protection with MM_CP_UFFD_WP and its own mmu_gather; no error in the model.
    const tlb = new MmuGather(f);
    change_protection(f, e, tlb, vma, addr, to, MM_CP_UFFD_WP);
    tlb.endVma();
    tlb.finish();
    return ret;
  };

  /** :2535 pagemap_scan_backout_range: the last region trimmed back to addr (or emptied). */
  const backout = (addr: U64, to: U64): void => {
    if (!buf) return;
    const cur = buf[buf_index]!;
    if (cur.start !== addr) cur.end = addr;
    else cur.start = cur.end = 0n;
    found_pages -= (to - addr) / PAGE;
  };
  const huge: ScanPrivate = {
    ...{ f, arch, flags, wantFile, cur_vma_category: () => cur_vma_category, interesting },
    ...{ output, backout, set_walk_end: (v: U64) => (walk_end = v) },
  };
  const hugetlb_entry = (w: MmWalk, pa: number, _hmask: U64, addr: U64, next: U64): number =>
    pagemap_scan_hugetlb_entry(huge, w, pa, addr, next);

  const w: MmWalk = {
    ops: { walk_lock: 'PGWALK_RDLOCK', test_walk, pmd_entry, pte_hole, hugetlb_entry, repeats: 1 },
    ...{ t, st: f.st, mm: f.mm, tree: f.mm.tree, vma: null, action: 0 },
    ...{ no_vma: false, initMm: false, events: undefined, mmapLock: 'read' },
  };

  // :3038 the driver loop: walk, copy the bounce buffer out (:2994), go on after a full buffer.
  const regions: PageRegion[] = [];
  let n_ranges_out = 0;
  let ret = 0;
  for (let walk_start = start; walk_start < end; walk_start = walk_end) {
    ret = walk_page_range(w, walk_start, end, genericHugePteOffset);
    if (buf) {
      const n = buf_index + (buf[buf_index]!.end !== buf[buf_index]!.start ? 1 : 0);
      for (const s of buf.slice(0, n)) {
        const categories = PAGE_IS.filter((_, k) => (s.categories >> k) & 1);
        regions.push({ start: s.start, end: s.end, categories });
      }
      n_ranges_out += n;
      if (n) {
        vec_len -= BigInt(n);
        buf_index = 0;
        if (BigInt(buf_len) > vec_len) buf_len = Number(vec_len);
        buf[0]!.start = buf[0]!.end = 0n;
      }
    }
    if (ret !== ENOSPC || vec_len === 0n || found_pages === max_pages) break;
  }
  // :3080 -ENOSPC is an early stop: the regions count; walk_end is end unless a stop set it.
  if (!ret || ret === ENOSPC) ret = n_ranges_out;
  return result(ret, walk_end || end, regions);
}
