// arm64 kernel permission changes: arch/arm64/mm/pageattr.c (v6.19; kernel-facts §11) over the
// lockless kernel walk, with the lazy-MMU barrier batching of arch/arm64/include/asm/pgtable.h.
//
// Model choices: split_kernel_leaf_mapping is a no-op (no BBML2_NOABORT, arch/arm64/mm/mmu.c:772);
// every WARN_ON_ONCE fires (each vector starts from a fresh boot); the TLB flush is an event, not a
// change to CPU TLBs.

import { bit, MASK64, type U64 } from '../bits/u64.ts';
import { UnsupportedError } from '../errors.ts';
import {
  ACTION_CONTINUE,
  EINVAL,
  emit,
  walk_kernel_page_table_range_lockless,
  warn,
  type MmWalk,
  type WalkCallbacks,
} from './pagewalk.ts';

export const PTE_VALID = bit(0);
const PTE_USER = bit(6);
const PTE_UXN = bit(54);
export const PTE_RDONLY = bit(7);
export const PTE_WRITE = bit(51); // PTE_DBM
export const PTE_PXN = bit(53);
const PTE_GP = bit(50);

/** update_range_prot (:100). `pending` models TIF_LAZY_MMU_PENDING. */
export function update_range_prot(w: MmWalk, start: U64, size: U64, set: U64, clear: U64): number {
  const t = w.t;
  let pending = false;
  // queue_pte_barriers (pgtable.h): inside lazy MMU mode only TIF_LAZY_MMU_PENDING is set.
  const store = (c: 2 | 3 | 4, pa: number, addr: U64, v: U64, pages = 0) => {
    t.write(w.tree, c, pa, addr, v, pages);
    // __set_pte_complete queues for pte_valid_not_user ((VALID|USER|UXN) == (VALID|UXN));
    // set_pmd/set_pud for any valid entry.
    if (
      c === 4
        ? (v & (PTE_VALID | PTE_USER | PTE_UXN)) === (PTE_VALID | PTE_UXN)
        : (v & PTE_VALID) !== 0n
    )
      pending = true;
  };
  const masks = (v: U64) => (v & ~clear) | set; // set_pageattr_masks (:24)
  // pud_sect / pmd_sect of arm64 pgtable.h (pud_sect is constant false with 64K pages or < 3 levels).
  const sect = (c: 2 | 3, v: U64) =>
    t.pred(c === 2 ? 'pud_sect' : 'pmd_sect', c === 2 ? 'pud' : 'pmd')(v);
  const block = (c: 2 | 3, name: string) => (wk: MmWalk, pa: number, addr: U64, next: U64) => {
    const v = t.read(pa);
    if (sect(c, v)) {
      if (next - addr !== t.size(c)) {
        warn(wk, name);
        return EINVAL;
      }
      store(c, pa, addr, masks(v));
      wk.action = ACTION_CONTINUE;
    }
    return 0;
  };
  const ops: WalkCallbacks = {
    walk_lock: 'PGWALK_RDLOCK',
    pud_entry: block(2, 'pageattr_pud_entry'),
    pmd_entry: block(3, 'pageattr_pmd_entry'),
    pte_entry: (wk, pa, addr0, j) => {
      store(4, pa, addr0, masks(t.read(pa)), j);
      return 0;
    },
  };
  emit(w, { event: 'arch_enter_lazy_mmu_mode' });
  const walk: MmWalk = { ...w, ops };
  // start + size is an unsigned long: it may wrap to 0 (then start >= end: -EINVAL).
  const ret = walk_kernel_page_table_range_lockless(walk, start, (start + size) & MASK64);
  emit(w, { event: 'arch_leave_lazy_mmu_mode', barriers: pending });
  return ret;
}

/** __change_memory_common (:127): the flush is skipped only when making entries valid. */
export function __change_memory_common(
  w: MmWalk,
  start: U64,
  size: U64,
  set: U64,
  clear: U64,
): number {
  const ret = update_range_prot(w, start, size, set, clear);
  if (set !== PTE_VALID || clear !== 0n)
    emit(w, { event: 'flush_tlb_kernel_range', addr: start, next: (start + size) & MASK64 });
  return ret;
}

/** change_memory_common (:144): one VM_ALLOC vmalloc area, and the linear alias for RDONLY changes. */
export function change_memory_common(
  w: MmWalk,
  addr: U64,
  numpages: number,
  set: U64,
  clear: U64,
): number {
  const k = w.st.initMm!;
  const page = 1n << BigInt(w.t.pageShift);
  const size = page * BigInt(numpages);
  let start = addr;
  let end = start + size;
  if (addr % page !== 0n) {
    start = addr & ~(page - 1n);
    end = start + size;
    warn(w, 'change_memory_common');
  }
  const area = k.vmAreas.find((a) => addr >= a.addr && addr < a.addr + a.size);
  if (
    !area ||
    end > area.addr + area.size ||
    !area.flags.includes('VM_ALLOC') ||
    area.flags.includes('VM_ALLOW_HUGE_VMAP')
  )
    return EINVAL;
  if (numpages === 0) return 0;
  if (k.rodataFull && (set === PTE_RDONLY || clear === PTE_RDONLY)) {
    const lm = k.linearMap;
    if ((area.pages ?? []).length > 0 && !lm)
      throw new UnsupportedError('rodata_full needs setup.init_mm.linear_map for page_address()');
    for (const pa of area.pages ?? [])
      __change_memory_common(w, lm!.va + (pa - lm!.pa), page, set, clear);
  }
  emit(w, { event: 'vm_unmap_aliases' });
  return __change_memory_common(w, start, size, set, clear);
}

/** PTE_MAYBE_GP: PTE_GP when the kernel uses BTI (pgtable-prot.h). */
export const maybeGp = (w: MmWalk): U64 => (w.st.initMm?.bti ? PTE_GP : 0n);
