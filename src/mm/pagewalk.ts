// mm/pagewalk.c (Linux v6.19): the generic page-table walker's entry points. Line numbers are those of
// v6.19 (kernel-facts §8). Callbacks are functions; src/mm/walk-script.ts turns a vector's scripted
// mm_walk_ops into them. The level walkers are in pagewalk-range.ts, hugetlb VMAs in
// pagewalk-hugetlb.ts, the types in pagewalk-types.ts (all re-exported here).

import { MASK64, type U64 } from '../bits/u64.ts';
import { UnsupportedError } from '../errors.ts';
import { walk_hugetlb_range, type HugePteOffset } from './pagewalk-hugetlb.ts';
import { walk_pgd_range } from './pagewalk-range.ts';
import {
  EINVAL,
  mmap_assert_locked,
  mmap_assert_write_locked,
  type MmWalk,
  type WalkCallbacks,
} from './pagewalk-types.ts';
import { find_vma, i_mmap } from './state.ts';

export * from './pagewalk-types.ts';
export { walk_pgd_range } from './pagewalk-range.ts';
export {
  arm64HugePteOffset,
  genericHugePteOffset,
  type HugePteOffset,
} from './pagewalk-hugetlb.ts';

/** walk_page_test (:362). */
function walk_page_test(w: MmWalk, start: U64, end: U64): number {
  const ops = w.ops;
  if (ops.test_walk) return ops.test_walk(w, start, end);
  if (w.vma!.flags.has('VM_PFNMAP')) {
    let err = 1;
    if (ops.pte_hole) err = ops.pte_hole(w, start, end, -1);
    return err ? err : 1;
  }
  return 0;
}

/** __walk_page_range (:388): post_vma runs whenever pre_vma succeeded, even after a failed walk. */
function __walk_page_range(w: MmWalk, start: U64, end: U64, huge: HugePteOffset): number {
  const ops = w.ops;
  const vma = w.vma!;
  const is_hugetlb = vma.hugetlbShift !== undefined;
  if (ops.install_pte && is_hugetlb) return EINVAL;
  let err = 0;
  if (ops.pre_vma) {
    err = ops.pre_vma(w, start, end);
    if (err) return err;
  }
  if (is_hugetlb) {
    if (ops.hugetlb_entry) err = walk_hugetlb_range(w, start, end, huge);
  } else err = walk_pgd_range(w, start, end);
  if (ops.post_vma) ops.post_vma(w);
  return err;
}

function process_mm_walk_lock(w: MmWalk): void {
  const l = w.ops.walk_lock;
  if (l === 'PGWALK_RDLOCK') mmap_assert_locked(w);
  else if (l !== 'PGWALK_VMA_RDLOCK_VERIFY') mmap_assert_write_locked(w);
}

/**
 * process_vma_walk_lock (:427), CONFIG_PER_VMA_LOCK=y, CONFIG_DEBUG_VM off. PGWALK_WRLOCK:
 * vma_start_write -> __is_vma_write_locked -> mmap_assert_write_locked (include/linux/mmap_lock.h:
 * 206-214, 186-188). PGWALK_WRLOCK_VERIFY's vma_assert_write_locked (:239-244) and
 * PGWALK_VMA_RDLOCK_VERIFY's vma_assert_locked (:246-252) are VM_BUG_ON_VMA, which without
 * CONFIG_DEBUG_VM is BUILD_BUG_ON_INVALID (include/linux/mmdebug.h:121,118): the condition, and the
 * mmap_assert_write_locked inside it, is never evaluated. (With CONFIG_DEBUG_VM it would BUG.)
 */
function process_vma_walk_lock(w: MmWalk): void {
  if (w.ops.walk_lock === 'PGWALK_WRLOCK') mmap_assert_write_locked(w);
}

/** check_ops_safe (:524): install_pte is for mm-internal callers only. */
const check_ops_safe = (ops: WalkCallbacks): boolean => ops.install_pte === undefined;

/** walk_page_range_mm_unsafe (:455). */
export function walk_page_range_mm_unsafe(
  w: MmWalk,
  start: U64,
  end: U64,
  huge: HugePteOffset,
): number {
  if (start >= end) return EINVAL;
  if (!w.mm) return EINVAL;
  process_mm_walk_lock(w);
  const mm = w.mm;
  let vma = find_vma(mm, start);
  let err = 0;
  let next: U64;
  do {
    if (!vma) {
      w.vma = null;
      next = end;
      if (w.ops.pte_hole) err = w.ops.pte_hole(w, start, next, -1);
    } else if (start < vma.start) {
      w.vma = null;
      next = end < vma.start ? end : vma.start;
      if (w.ops.pte_hole) err = w.ops.pte_hole(w, start, next, -1);
    } else {
      process_vma_walk_lock(w);
      w.vma = vma;
      next = end < vma.end ? end : vma.end;
      vma = find_vma(mm, vma.end);
      err = walk_page_test(w, start, next);
      if (err > 0) {
        err = 0;
        start = next;
        continue;
      }
      if (err < 0) break;
      err = __walk_page_range(w, start, next, huge);
    }
    if (err) break;
    start = next;
  } while (start < end);
  return err;
}

/** walk_page_range (:578). */
export function walk_page_range(w: MmWalk, start: U64, end: U64, huge: HugePteOffset): number {
  if (!check_ops_safe(w.ops)) return EINVAL;
  return walk_page_range_mm_unsafe(w, start, end, huge);
}

/** walk_kernel_page_table_range (:606) asserts init_mm's mmap_lock, then the lockless form (:629). */
export function walk_kernel_page_table_range(w: MmWalk, start: U64, end: U64): number {
  mmap_assert_locked(w);
  return walk_kernel_page_table_range_lockless(w, start, end);
}
export function walk_kernel_page_table_range_lockless(w: MmWalk, start: U64, end: U64): number {
  if (start >= end) return EINVAL;
  if (!check_ops_safe(w.ops)) return EINVAL;
  return walk_pgd_range(w, start, end);
}

/**
 * walk_page_range_debug (:663): a no_vma walk of a user mm's tables (or `pgd`), under the mmap write
 * lock (:692); init_mm goes to walk_kernel_page_table_range (:675-678) before any check.
 */
export function walk_page_range_debug(w: MmWalk, start: U64, end: U64): number {
  if (w.initMm) return walk_kernel_page_table_range(w, start, end);
  if (start >= end || !w.mm) return EINVAL;
  if (!check_ops_safe(w.ops)) return EINVAL;
  mmap_assert_write_locked(w);
  return walk_pgd_range(w, start, end);
}

/** walk_page_range_vma_unsafe (:697): install_pte allowed; the range must lie in the VMA. */
export function walk_page_range_vma_unsafe(
  w: MmWalk,
  start: U64,
  end: U64,
  huge: HugePteOffset,
): number {
  const vma = w.vma!;
  if (start >= end || !w.mm) return EINVAL;
  if (start < vma.start || end > vma.end) return EINVAL;
  process_mm_walk_lock(w);
  process_vma_walk_lock(w);
  return __walk_page_range(w, start, end, huge);
}

/** walk_page_range_vma (:717): check_ops_safe, then walk_page_range_vma_unsafe. No test_walk. */
export function walk_page_range_vma(w: MmWalk, start: U64, end: U64, huge: HugePteOffset): number {
  if (!check_ops_safe(w.ops)) return EINVAL;
  return walk_page_range_vma_unsafe(w, start, end, huge);
}

/** walk_page_vma (:727): the whole VMA, no test_walk (pagewalk.h:54-55). */
export function walk_page_vma(w: MmWalk, huge: HugePteOffset): number {
  const vma = w.vma!;
  if (!w.mm) return EINVAL;
  if (!check_ops_safe(w.ops)) return EINVAL;
  process_mm_walk_lock(w);
  process_vma_walk_lock(w);
  return __walk_page_range(w, vma.start, vma.end, huge);
}

/**
 * walk_page_mapping (:777): every VMA of the file over pages [first_index, first_index+nr), in
 * i_mmap order. walk_page_test sees the whole VMA; a skip (> 0) ends the whole walk with 0.
 */
export function walk_page_mapping(
  w: MmWalk,
  file: string,
  first_index: U64,
  nr: U64,
  huge: HugePteOffset,
): number {
  if (!check_ops_safe(w.ops)) return EINVAL;
  const shift = BigInt(w.t.pageShift);
  const page = 1n << shift;
  let err = 0;
  const last = (first_index + nr - 1n) & MASK64;
  for (const vma of i_mmap(w.st, file, first_index, last, page)) {
    const vba = vma.pgoff;
    const vea = vba + ((vma.end - vma.start) >> shift);
    const cba = first_index > vba ? first_index : vba;
    const fe = (first_index + nr) & MASK64;
    const cea = fe < vea ? fe : vea;
    const start_addr = (((cba - vba) << shift) + vma.start) & MASK64;
    const end_addr = (((cea - vba) << shift) + vma.start) & MASK64;
    if (start_addr >= end_addr) continue;
    // nr == 0 from index 0 (cea = 0 < vba): end_addr wraps below vm_start to the top of the address
    // space, and walk_pgd_range's pgd++ would run past the end of the pgd page.
    if (end_addr > vma.end)
      throw new UnsupportedError(
        'walk_page_mapping: the clipped end wraps past the VMA (nr == 0 from index 0 with vm_pgoff pages above vm_start); the walk would leave the pgd page',
      );
    w.vma = vma;
    w.mm = vma.mm;
    w.tree = vma.mm.tree;
    err = walk_page_test(w, vma.start, vma.end);
    if (err > 0) {
      err = 0;
      break;
    } else if (err < 0) break;
    err = __walk_page_range(w, start_addr, end_addr, huge);
    if (err) break;
  }
  return err;
}
