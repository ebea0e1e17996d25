// arm64 p4d/pgd helpers where the level is real (arch/arm64/include/asm/pgtable.h v6.19, LEVELS > 3 /
// > 4) and the table entry of pXd_populate (arch/arm64/include/asm/pgalloc.h): TYPE_TABLE | TABLE_AF,
// with PXNTable for user tables and UXNTable for init_mm's.

import { bit, MASK64 } from '../../bits/u64.ts';
import type { ArchUpper } from '../../mm/arch.ts';

const TYPE_MASK = 3n;
const TYPE_TABLE = 3n;
const TABLE_AF = bit(10);
const TABLE_PXN = bit(59);
const TABLE_UXN = bit(60);
const PTE_CONT = bit(52);

export const arm64Upper: ArchUpper = {
  p4d_none: (v) => v === 0n,
  p4d_bad: (v) => (v & TYPE_MASK) !== TYPE_TABLE,
  p4d_present: (v) => v !== 0n,
  pgd_none: (v) => v === 0n,
  pgd_bad: (v) => (v & TYPE_MASK) !== TYPE_TABLE,
  pgd_present: (v) => v !== 0n,
  // Without 52-bit PA __pmd_to_phys (pgtable.h:166) is the entry & PTE_ADDR_LOW, bits
  // [49:PAGE_SHIFT] (pgtable-hwdef.h:179).
  tableAddr: (v, pageShift) => v & (((1n << 50n) - 1n) ^ ((1n << BigInt(pageShift)) - 1n)),
  // include/linux/pgtable.h:289 with PFN_PTE_SHIFT = PAGE_SHIFT.
  pte_advance_pfn: (pte, nr, pageShift) => (pte + (nr << BigInt(pageShift))) & MASK64,
  // CONT_PTE_SHIFT (arch/arm64/include/asm/pgtable-hwdef.h): 16, 128, 32 PTEs for 4K, 16K, 64K.
  contPtes: (pageShift) => (pageShift === 12 ? 16 : pageShift === 14 ? 128 : 32),
  // set_ptes: `pte = pte_mknoncont(pte)` before anything else (pgtable.h, CONFIG_ARM64_CONTPTE).
  set_pte_at: (v) => v & ~PTE_CONT,
  populate: (pa, kernel) => pa | TYPE_TABLE | TABLE_AF | (kernel ? TABLE_UXN : TABLE_PXN),
};
