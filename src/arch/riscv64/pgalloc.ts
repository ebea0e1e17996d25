// riscv64 p4d/pgd helpers where the level is enabled (arch/riscv/include/asm/pgtable-64.h v6.19:
// pgtable_l4_enabled / pgtable_l5_enabled) and the table entry of pXd_populate (pgalloc.h: _PAGE_TABLE
// = _PAGE_PRESENT with the PFN at bit 10).

import { MASK64, type U64 } from '../../bits/u64.ts';
import type { ArchUpper } from '../../mm/arch.ts';

const _PAGE_PRESENT = 1n;
const _PAGE_TABLE = _PAGE_PRESENT;
const present = (v: U64): boolean => (v & _PAGE_PRESENT) !== 0n;

export const riscvUpper: ArchUpper = {
  p4d_none: (v) => v === 0n,
  p4d_bad: (v) => !present(v),
  p4d_present: present,
  pgd_none: (v) => v === 0n,
  pgd_bad: (v) => !present(v),
  pgd_present: present,
  // _PAGE_PFN_MASK = GENMASK(53, 10) (pgtable-64.h).
  tableAddr: (v) => ((v >> 10n) & ((1n << 44n) - 1n)) << 12n,
  // include/linux/pgtable.h:289 with PFN_PTE_SHIFT = _PAGE_PFN_SHIFT (10).
  pte_advance_pfn: (pte, nr) => (pte + (nr << 10n)) & MASK64,
  contPtes: () => 0,
  set_pte_at: (v) => v,
  populate: (pa) => ((pa >> 12n) << 10n) | _PAGE_TABLE,
};
