// The shape of an operation as the engine runs it: decoded arguments in, one value out.

import type { U64 } from '../bits/u64.ts';
import type { Arch, KernelConfig, Mode } from '../config.ts';
import type { AccessOutcome, AccessType, Machine, Priv, RootArg } from '../machine/types.ts';
import type { VmFlags } from '../mm/vm-flags.ts';
import type { LinuxOpResult } from '../mm/result.ts';
import type { LinuxState } from '../mm/state.ts';
import type { WalkOpsScript } from '../mm/walk-script.ts';

export type LinuxLevel = 'pgd' | 'p4d' | 'pud' | 'pmd' | 'pte';

export interface DecodedField {
  readonly value: U64;
  readonly width: number;
}
export interface DecodedEntry {
  readonly format: string;
  readonly fields: ReadonlyMap<string, DecodedField>;
}

export type OpValue =
  boolean | U64 | number | string | DecodedEntry | AccessOutcome | LinuxOpResult | null;

/** Arguments by name; the vector schema fixes which ones each op has. */
export interface OpArgs {
  readonly pte?: U64;
  readonly pmd?: U64;
  readonly pud?: U64;
  readonly value?: U64;
  readonly prot?: U64;
  readonly pfn?: U64;
  readonly entry?: U64;
  readonly offset?: U64;
  /** A swap type, an INVPCID type (numbers) or a TLBI operation (string). */
  readonly type?: number | string;
  readonly marker?: number;
  readonly vmFlags?: VmFlags;
  readonly level?: LinuxLevel;
  readonly format?: string;
  readonly fields?: ReadonlyMap<string, U64>;
  readonly cpu?: number;
  readonly va?: U64;
  readonly pa?: U64;
  readonly access?: AccessType;
  readonly priv?: Priv;
  readonly root?: RootArg;
  readonly asid?: number;
  readonly pcid?: number;
  readonly noflush?: boolean;
  readonly features?: Readonly<Record<string, boolean | number>>;
  // The walk and pageattr families.
  readonly mm?: string | null;
  /** A VMA by name, or by an address inside it. */
  readonly vma?: string | U64;
  readonly start?: U64;
  readonly end?: U64;
  readonly ops?: WalkOpsScript;
  readonly locks?: { readonly mmap_lock?: 'none' | 'read' | 'write' };
  readonly file?: string;
  readonly first_index?: U64;
  readonly nr?: U64;
  readonly pgd?: { readonly tree: number };
  readonly addr?: U64;
  readonly flags?: readonly string[];
  readonly size?: U64;
  /** mprotect's len. */
  readonly len?: U64;
  // The dirty family's bitmap (unsigned long words) and its first page offset.
  readonly bitmap?: readonly U64[];
  readonly bitmap_pgoff?: U64;
  readonly set?: U64;
  readonly clear?: U64;
  readonly numpages?: number;
  readonly enable?: boolean;
  // The uffd family.
  readonly uffd?: string;
  readonly api?: U64;
  readonly even_cows?: boolean;
  readonly count?: number;
  readonly show_pfn?: boolean;
  readonly advice?: string;
}

export interface OpContext {
  readonly arch: Arch;
  readonly mode: Mode;
  readonly config: KernelConfig;
  /** The vector's machine, when it has a setup. */
  readonly machine?: Machine;
  /** The vector's Linux mm state, when its setup has mms or init_mm. */
  readonly linux?: LinuxState;
}

export type OpImpl = (args: OpArgs, ctx: OpContext) => OpValue;
export type OpTable = Readonly<Record<string, OpImpl>>;

/** What generic mm code (swapops, leafops) needs from an arch. */
export interface ArchSwap {
  pte_present(pte: U64, cfg: KernelConfig): boolean;
  pte_none(pte: U64): boolean;
  /** pte_swp_clear_flags (include/linux/swapops.h:70): clears the arch's swap flag bits. */
  swpFlagMask(cfg: KernelConfig): U64;
  /** The swap-entry uffd-wp bit (0 where the config has none). */
  swpUffdWpBit(cfg: KernelConfig): U64;
  /** pgtable_supports_uffd_wp(): the arch has uffd-wp PTE bits under this config. */
  pgtable_supports_uffd_wp(cfg: KernelConfig): boolean;
  __swp_entry(type: number, offset: U64): U64;
  __swp_type(entry: U64): number;
  __swp_offset(entry: U64): U64;
}

/** The upper levels' Linux helpers of an arch where the level is real (the mm walker folds), and pXd_populate. */
/** What an arch gives the generic mm code about pgprot_t. */
export interface ArchProt {
  /** pgprot_modify(oldprot, newprot): what of the old prot survives an update of vm_page_prot. */
  pgprot_modify(oldprot: U64, newprot: U64, cfg: KernelConfig): U64;
  /** pgtable_supports_soft_dirty() (include/linux/pgtable.h:1568 and the arch's override). */
  supportsSoftDirty(cfg: KernelConfig): boolean;
}

export interface ArchUpper {
  p4d_none(v: U64): boolean;
  p4d_bad(v: U64): boolean;
  p4d_present(v: U64): boolean;
  pgd_none(v: U64): boolean;
  pgd_bad(v: U64): boolean;
  pgd_present(v: U64): boolean;
  /** The table address in a table entry (pXd_pgtable / pXd_page_vaddr's physical address). */
  tableAddr(v: U64, pageShift: number): U64;
  /** PFN_PTE_SHIFT: where pte_advance_pfn adds to step one page. */
  pfnPteShift(pageShift: number): number;
  /** CONT_PTES of the granule where set_ptes folds user mappings into contiguous blocks (arm64), else 0. */
  contPtes(pageShift: number): number;
  /** The value set_pte_at stores for `v` (arm64 set_ptes clears PTE_CONT first); the identity elsewhere. */
  set_pte_at(v: U64): U64;
  /** The table entry pXd_populate / pXd_populate_kernel writes for a table at `pa`. */
  populate(pa: U64, kernel: boolean): U64;
}
