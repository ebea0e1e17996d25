// arm64 CONFIG_ARM64_CONTPTE as the walker meets it (arch/arm64/mm/contpte.c, v6.19): ptep_get
// gathers a contiguous block's dirty and young bits, and set_ptes of one PTE folds the block it
// completes. Every helper is a no-op where the arch has no contiguous PTEs (contPtes 0).

import { MASK64, type U64 } from '../bits/u64.ts';
import type { OpArgs } from '../ops/types.ts';
import type { MmWalk } from './pagewalk-types.ts';
import type { LinuxTables } from './pgtable.ts';

const op = (w: MmWalk, name: string, a: OpArgs): unknown => w.t.op(name, a);
const u64 = (w: MmWalk, name: string, a: OpArgs): U64 => op(w, name, a) as U64;
const is = (w: MmWalk, name: string, pte: U64): boolean => op(w, name, { pte }) === true;

/** page_folio: the head PFN and order of the listed large folio holding `pfn`, or the page alone. */
export function page_folio(w: MmWalk, pfn: U64): { readonly head: U64; readonly order: number } {
  for (const f of w.st.folios)
    if (pfn >= f.pfn && pfn < f.pfn + (1n << BigInt(f.order)))
      return { head: f.pfn, order: f.order };
  return { head: pfn, order: 0 };
}

/**
 * pte_valid_cont (arch/arm64/include/asm/pgtable.h:226): a valid PTE_CONT entry, one of a contiguous
 * block; never on x86 and riscv (contPtes 0, and no pte_valid or pte_cont helper).
 */
export const pte_valid_cont = (t: LinuxTables, v: U64): boolean =>
  t.h.upper.contPtes(t.pageShift) > 0 &&
  t.op('pte_valid', { pte: v }) === true &&
  t.op('pte_cont', { pte: v }) === true;

/** contpte_align_down (contpte.c:24): the first PTE of `ptep`'s block of `n`. */
const align_down = (ptep: number, n: number): number => ptep - ((ptep / 8) % n) * 8;

/**
 * ptep_get (arch/arm64/include/asm/pgtable.h:1757): a valid PTE_CONT entry is contpte_ptep_get's
 * (contpte.c:292), the entry made dirty if any entry of its block is dirty and young if any is young;
 * any other entry (and every entry on x86 and riscv, which have no ptep_get of their own) as read.
 */
export function ptep_get(w: MmWalk, ptep: number): U64 {
  const t = w.t;
  const orig = t.read(ptep);
  if (!pte_valid_cont(t, orig)) return orig;
  const n = t.h.upper.contPtes(t.pageShift);
  let dirty = false;
  let young = false;
  const first = align_down(ptep, n);
  for (let i = 0; i < n; i++) {
    const v = t.read(first + i * 8);
    dirty ||= is(w, 'pte_dirty', v);
    young ||= is(w, 'pte_young', v);
  }
  let pte = orig;
  if (dirty) pte = u64(w, 'pte_mkdirty', { pte });
  if (young) pte = u64(w, 'pte_mkyoung', { pte });
  return pte;
}

/** pte_pgprot (pgtable.h): the entry without its output address. */
function pte_pgprot(w: MmWalk, pte: U64): U64 {
  const pfn = u64(w, 'pte_pfn', { value: pte });
  return pte ^ u64(w, 'pfn_pte', { pfn, prot: 0n });
}

/**
 * contpte_try_fold (pgtable.h:1699), called by set_ptes of one PTE (:1802) after it stored `pte` at
 * `ptep` for `addr`: the last entry of an aligned block, with an aligned PFN, valid, neither
 * contiguous nor special, tries __contpte_try_fold (contpte.c:213).
 */
export function contpte_try_fold(w: MmWalk, addr: U64, ptep: number, pte: U64): void {
  const t = w.t;
  const n = t.h.upper.contPtes(t.pageShift);
  if (n === 0) return;
  const mask = BigInt(n - 1);
  if (((addr >> BigInt(t.pageShift)) & mask) !== mask) return;
  const pfn = u64(w, 'pte_pfn', { value: pte });
  if ((pfn & mask) !== mask || !is(w, 'pte_valid', pte)) return;
  if (is(w, 'pte_cont', pte) || is(w, 'pte_special', pte)) return;
  // :245 mm_is_user: never init_mm (no EFI mm is modelled).
  if (w.initMm) return;
  // :248-256 the block must lie inside one folio.
  const page = t.pageSize;
  const folio = page_folio(w, pfn);
  const folio_start = (addr - (pfn - folio.head) * page) & MASK64;
  const folio_end = (folio_start + (1n << BigInt(folio.order)) * page) & MASK64;
  const cont_start = addr & ~(BigInt(n) * page - 1n);
  const cont_end = (cont_start + BigInt(n) * page) & MASK64;
  if (folio_start > cont_start || folio_end < cont_end) return;
  // :258-271 every entry valid with consecutive PFNs and the same prot, dirty and young aside.
  const clean = (v: U64) => u64(w, 'pte_mkold', { pte: u64(w, 'pte_mkclean', { pte: v }) });
  const prot = pte_pgprot(w, clean(pte));
  let expected = u64(w, 'pfn_pte', { pfn: pfn & ~mask, prot });
  const first = align_down(ptep, n);
  for (let i = 0; i < n; i++) {
    if (clean(t.read(first + i * 8)) !== expected) return;
    expected = t.h.upper.pte_advance_pfn(expected, 1n, t.pageShift);
  }
  contpte_convert(w, addr, ptep, u64(w, 'pte_mkcont', { pte }));
}

/**
 * contpte_try_unfold (pgtable.h:1722-1727) of the entry at `ptep` for `addr`: a valid PTE_CONT entry
 * of a user mm goes to __contpte_try_unfold (contpte.c:277-289), contpte_convert of
 * pte_mknoncont(pte). Returns the entry at `ptep` after it; a no-op where the arch has no contiguous
 * PTEs (x86, riscv: contPtes 0).
 */
export function contpte_try_unfold(w: MmWalk, addr: U64, ptep: number): U64 {
  const t = w.t;
  const pte = t.read(ptep);
  if (!pte_valid_cont(t, pte) || w.initMm) return pte;
  contpte_convert(w, addr, ptep, u64(w, 'pte_mknoncont', { pte }));
  return t.read(ptep);
}

/**
 * contpte_convert (contpte.c:49): every entry of the block cleared (__ptep_get_and_clear), their
 * dirty and young bits gathered into `pte` re-based on the block's first PFN, then __set_ptes of the
 * whole block. The TLB flush between (skipped with BBML2_NOABORT) is not observable in a walk.
 */
function contpte_convert(w: MmWalk, addr: U64, ptep: number, pte: U64): void {
  const t = w.t;
  const n = t.h.upper.contPtes(t.pageShift);
  const page = t.pageSize;
  const first = align_down(ptep, n);
  const start = addr & ~(BigInt(n) * page - 1n);
  const pfn = u64(w, 'pte_pfn', { value: pte }) & ~BigInt(n - 1);
  let v = u64(w, 'pfn_pte', { pfn, prot: pte_pgprot(w, pte) });
  for (let i = 0; i < n; i++) {
    const pa = first + i * 8;
    const ptent = t.read(pa);
    t.write(w.tree, 4, pa, (start + BigInt(i) * page) & MASK64, 0n);
    if (is(w, 'pte_dirty', ptent)) v = u64(w, 'pte_mkdirty', { pte: v });
    if (is(w, 'pte_young', ptent)) v = u64(w, 'pte_mkyoung', { pte: v });
  }
  for (let i = 0; i < n; i++)
    t.write(
      w.tree,
      4,
      first + i * 8,
      (start + BigInt(i) * page) & MASK64,
      t.h.upper.pte_advance_pfn(v, BigInt(i), t.pageShift),
    );
}
