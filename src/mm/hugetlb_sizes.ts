// The hugetlb page sizes Linux v6.19 registers per arch and granule, and how each is mapped: one PUD
// or PMD leaf, or a run of contiguous entries (arm64 PTE_CONT, riscv Svnapot).
//   arm64: arch/arm64/mm/hugetlbpage.c:52-66 __hugetlb_valid_size, :490-512 hugetlbpage_init;
//     CONT_PTE_SHIFT/CONT_PMD_SHIFT arch/arm64/include/asm/pgtable-hwdef.h:90-98 with
//     ARM64_CONT_PTE_SHIFT/ARM64_CONT_PMD_SHIFT arch/arm64/Kconfig:317-327.
//   riscv64: arch/riscv/mm/hugetlbpage.c:381-405 is_napot_size/napot_hugetlbpages_init (has_svnapot()),
//     :416-426 __hugetlb_valid_size (HPAGE_SIZE, PUD_SIZE); NAPOT_CONT64KB_ORDER, the only order,
//     arch/riscv/include/asm/pgtable-64.h:89-107.
//   x86_64: PMD_SIZE and PUD_SIZE (arch/x86/mm/hugetlbpage.c arch_hugetlb_valid_size).

import type { KernelConfig } from '../config.ts';
import { VectorFormatError } from '../errors.ts';
import type { ChainIndex } from './pgtable.ts';

export type HugetlbArch = 'x86_64' | 'arm64' | 'riscv64';

/** How one huge page of an hstate is mapped. */
export type HugeKind = 'pud' | 'pmd' | 'cont_pmd' | 'cont_pte' | 'napot';

export interface HugeSize {
  readonly shift: number;
  readonly kind: HugeKind;
  /** The chain level of its entries: 2 (pud), 3 (pmd, cont_pmd), 4 (cont_pte, napot). */
  readonly c: ChainIndex;
  /** Entries per huge page: CONT_PTES, CONT_PMDS, napot_pte_num(order), or 1. */
  readonly ncontig: number;
}

/** The `hugetlb` names of the setup. */
export const HUGE_SHIFT: Readonly<Record<string, number>> = {
  '64K': 16,
  '2M': 21,
  '32M': 25,
  '512M': 29,
  '1G': 30,
  '16G': 34,
};

/** arm64 Kconfig:317-327: ARM64_CONT_PTE_SHIFT 4/7/5 and ARM64_CONT_PMD_SHIFT 4/5/5 (4K/16K/64K). */
const ARM64_CONT: Readonly<Record<number, { readonly pte: number; readonly pmd: number }>> = {
  12: { pte: 4, pmd: 4 },
  14: { pte: 7, pmd: 5 },
  16: { pte: 5, pmd: 5 },
};

const size = (shift: number, kind: HugeKind, c: ChainIndex, ncontig = 1): HugeSize => ({
  shift,
  kind,
  c,
  ncontig,
});

/** The hstates of an arch and granule, by shift. `svnapot` is has_svnapot(). */
export function hugetlbSizes(
  arch: HugetlbArch,
  pageShift: number,
  svnapot: boolean,
): ReadonlyMap<number, HugeSize> {
  if (arch === 'arm64') {
    const cont = ARM64_CONT[pageShift]!;
    const pmd = 2 * pageShift - 3; // PMD_SHIFT, folded or not (pgtable-hwdef.h:50-53)
    const out = [
      size(pageShift + cont.pte, 'cont_pte', 4, 1 << cont.pte),
      size(pmd, 'pmd', 3),
      size(pmd + cont.pmd, 'cont_pmd', 3, 1 << cont.pmd),
    ];
    // pud_sect_supported(): PAGE_SIZE == SZ_4K (pgtable.h); no mode here folds the pmd with 4K.
    if (pageShift === 12) out.push(size(30, 'pud', 2));
    return new Map(out.map((s) => [s.shift, s]));
  }
  const out = [size(21, 'pmd', 3), size(30, 'pud', 2)];
  // for_each_napot_order: NAPOT_CONT64KB_ORDER (4) only; napot_pte_num(4) = 16 PTEs.
  if (arch === 'riscv64' && svnapot) out.push(size(16, 'napot', 4, 16));
  return new Map(out.map((s) => [s.shift, s]));
}

/**
 * The model has two has_svnapot()s: the setup's CPUs (riscv_isa is the AND of every hart's ISA,
 * arch/riscv/kernel/cpufeature.c:891-894), which decide the hstates, and config.Svnapot, which
 * pte_pfn reads (arch/riscv/include/asm/pgtable.h:321-329). A napot hstate needs both.
 */
export function checkHasSvnapot(kind: HugeKind | undefined, cfg: KernelConfig): void {
  if (kind === 'napot' && !cfg.Svnapot)
    throw new VectorFormatError(
      'a 64K (Svnapot) hugetlb VMA needs has_svnapot(): set config.Svnapot as the CPUs have it',
      '',
    );
}
