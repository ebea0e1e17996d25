// x86_64 p4d/pgd helpers where the level is real (arch/x86/include/asm/pgtable.h v6.19; pgd_* only with
// LA57) and the table entry of pXd_populate (arch/x86/include/asm/pgalloc.h: _PAGE_TABLE for user and
// kernel tables alike).

import { isSet, MASK64, not64, type U64 } from '../../bits/u64.ts';
import type { ArchUpper } from '../../mm/arch.ts';
import {
  _KERNPG_TABLE,
  _PAGE_ACCESSED,
  _PAGE_DIRTY,
  _PAGE_NX,
  _PAGE_PRESENT,
  _PAGE_USER,
  PTE_PFN_MASK,
} from './pgtable.ts';

/** pgtable_types.h: _PAGE_TABLE = P|RW|USER|A|D. */
const _PAGE_TABLE = _KERNPG_TABLE | _PAGE_USER;
const flags = (v: U64): U64 => v & not64(PTE_PFN_MASK);
// CONFIG_MITIGATION_PAGE_TABLE_ISOLATION=y (the x86_64 default): pgd_bad/p4d_bad ignore NX.
const PTI_IGNORE = _PAGE_NX;

export const x86Upper: ArchUpper = {
  // p4d_none masks the KNL A/D erratum bits; pgd_none does not (pgtable.h, "no need to do a workaround").
  p4d_none: (v) => (v & not64(_PAGE_ACCESSED | _PAGE_DIRTY)) === 0n,
  p4d_bad: (v) => (flags(v) & not64(_KERNPG_TABLE | _PAGE_USER | PTI_IGNORE)) !== 0n,
  p4d_present: (v) => isSet(flags(v), _PAGE_PRESENT),
  pgd_none: (v) => v === 0n,
  pgd_bad: (v) => (flags(v) & not64(_PAGE_USER | PTI_IGNORE)) !== _KERNPG_TABLE,
  pgd_present: (v) => isSet(flags(v), _PAGE_PRESENT),
  tableAddr: (v) => v & PTE_PFN_MASK,
  // arch/x86/include/asm/pgtable.h:958: an inverted PTE (__pte_needs_invert: non-zero, not
  // _PAGE_PRESENT; pgtable-invert.h:16) holds ~pfn, so it steps down.
  pte_advance_pfn: (pte, nr) =>
    (pte !== 0n && (pte & _PAGE_PRESENT) === 0n ? pte - (nr << 12n) : pte + (nr << 12n)) & MASK64,
  contPtes: () => 0,
  set_pte_at: (v) => v,
  populate: (pa) => pa | _PAGE_TABLE,
};
