// The Linux memory-management state of a vector: user mm_structs with their VMAs, files and their
// i_mmap trees, init_mm, the zero pages and large folios (include/linux/mm_types.h); the vector's
// setup of it. Built by setup.ts.

import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import type { HugeSize } from './hugetlb_sizes.ts';
import type { VmFlag, VmFlags } from './vm-flags.ts';

export interface SetupVma {
  readonly name: string;
  readonly start: U64;
  readonly end: U64;
  readonly flags: readonly VmFlag[];
  readonly pgoff?: U64;
  readonly file?: string;
  readonly hugetlb?: string;
  readonly vm_ops?: SetupVmOps;
  readonly vm_page_prot?: U64;
  readonly uffd?: string;
}
/** The members of struct vm_operations_struct a vector can give a VMA. */
export type VmOp = 'fault' | 'page_mkwrite' | 'pfn_mkwrite' | 'map_pages';
/** The callbacks a vector scripts (map_pages only exists or not). */
export type ScriptedVmOp = Exclude<VmOp, 'map_pages'>;
export type SetupVmOps = { readonly [K in ScriptedVmOp]?: VmOpsScript } & {
  readonly map_pages?: object;
};
/** A vm_fault_t by the names of its bits. */
export type VmFaultNames = readonly string[];
/** What another thread or CPU does while a callback runs (schemas RaceAction). */
export type RaceAction =
  | { readonly set_pte: { readonly addr: U64; readonly value: U64 } }
  | { readonly zap_pte: { readonly addr: U64 } }
  | { readonly truncate: { readonly file: string; readonly index: U64 } }
  | {
      readonly access: {
        readonly cpu: number;
        readonly va: U64;
        readonly access: 'load' | 'store' | 'fetch';
      };
    };
export interface VmOpsRule {
  readonly when?: { readonly call?: number; readonly address?: U64; readonly pgoff?: U64 };
  readonly times?: number;
  readonly return?: VmFaultNames;
  readonly during?: readonly RaceAction[];
}
/** A scripted vm_operations_struct callback (schemas VmOpsCallback). */
export interface VmOpsScript {
  readonly return?: VmFaultNames;
  readonly rules?: readonly VmOpsRule[];
}
export interface SetupFile {
  readonly name: string;
  readonly can_writeback: boolean;
  readonly swapfile?: boolean;
  readonly pages?: readonly { readonly index: U64; readonly pfn: U64; readonly dirty?: boolean }[];
  readonly shmem?: boolean;
  readonly size?: U64;
}
export interface SetupMm {
  readonly name: string;
  readonly tree?: number;
  readonly vmas: readonly SetupVma[];
  readonly tlb_flush_pending?: number;
  readonly mmu_notifiers?: readonly string[];
}
export interface SetupVmStruct {
  readonly addr: U64;
  readonly size: U64;
  readonly flags: readonly string[];
  readonly pages?: readonly U64[];
}
export interface SetupInitMm {
  readonly tree: number;
  readonly vm_areas?: readonly SetupVmStruct[];
  readonly linear_map?: { readonly va: U64; readonly pa: U64 };
  readonly rodata_full?: boolean;
  readonly bti?: boolean;
}
export interface LinuxSetup {
  readonly mms?: readonly SetupMm[];
  readonly init_mm?: SetupInitMm;
  readonly zero_pfn?: U64;
  readonly huge_zero_pfn?: U64;
  readonly folios?: readonly { readonly pfn: U64; readonly order: number }[];
  readonly files?: readonly SetupFile[];
  readonly pages?: readonly SetupPage[];
  readonly free_pages?: readonly U64[];
  readonly uffds?: readonly SetupUffd[];
  readonly swap_devices?: readonly SetupSwapDevice[];
  /** The machine's CPUs, for the ISA extensions the kernel found on all of them (riscv has_svnapot). */
  readonly cpus?: readonly { readonly features?: Readonly<Record<string, boolean | number>> }[];
}
/** A userfaultfd context of the setup (schemas Uffd). */
export interface SetupUffd {
  readonly name: string;
  readonly mm: string;
  readonly features?: readonly string[];
  readonly user_mode_only?: boolean;
}
/** What the kernel reads of a struct page (include/linux/page-flags.h). */
export interface SetupPage {
  readonly pfn: U64;
  readonly anon: boolean;
  readonly exclusive?: boolean;
  readonly refcount?: number;
  readonly ksm?: boolean;
  readonly swapcache?: boolean;
  readonly swap?: { readonly type: number; readonly offset: U64 };
}
/** A swap device of the setup (schemas SwapDevice). */
export interface SetupSwapDevice {
  readonly type: number;
  readonly synchronous_io?: boolean;
}
/** What the kernel reads of a struct page/folio (order 0); the fault loop changes it. */
export interface PageState {
  /** PageAnon. */
  readonly anon: boolean;
  /** PageAnonExclusive. */
  exclusive: boolean;
  /** folio_ref_count. */
  refcount: number;
  /** folio_test_ksm. */
  readonly ksm: boolean;
  /** folio_test_swapcache. */
  swapcache: boolean;
  /** folio->swap of a folio in the swap cache: the swp_entry_t value (include/linux/swapops.h:84). */
  swap?: U64;
}
/** A folio of a file's page cache. */
export interface CachedFolio {
  readonly pfn: U64;
  dirty: boolean;
}

export interface Vma {
  readonly name: string;
  readonly mm: Mm;
  readonly start: U64;
  readonly end: U64;
  readonly flags: VmFlags;
  readonly pgoff: U64;
  readonly file: string | undefined;
  /** log2 of the hstate's huge page size, for a VM_HUGETLB VMA. */
  readonly hugetlbShift: number | undefined;
  /** The hstate's size and how a huge page is mapped, for a VM_HUGETLB VMA. */
  readonly hstate: HugeSize | undefined;
  /** The non-NULL members of vma->vm_ops (none for an anonymous VMA). */
  readonly vmOps: ReadonlySet<VmOp>;
  /** vma->vm_ops is non-NULL (vma_is_anonymous is its negation). */
  readonly hasVmOps: boolean;
  /** The vector's scripts of the callbacks that exist. */
  readonly vmOpsScripts: { readonly [K in ScriptedVmOp]?: VmOpsScript };
  /** vma->vm_page_prot; until a step sets it, the setup's, or vm_get_page_prot(vm_flags) if none. */
  vmPageProt: U64 | undefined;
  /** vma_set_page_prot has run on it (a step, or mmap's own call before the first fault). */
  pageProtSet: boolean;
  /** vma->vm_userfaultfd_ctx.ctx. */
  uffd: UffdCtx | undefined;
}
/** struct userfaultfd_ctx (fs/userfaultfd.c), as far as the model reads it. */
export interface UffdCtx {
  readonly name: string;
  readonly mm: Mm;
  /** ctx->features once UFFDIO_API ran (UFFD_FEATURE_* names); undefined before. */
  features: ReadonlySet<string> | undefined;
  /** UFFD_USER_MODE_ONLY. */
  readonly userModeOnly: boolean;
  /** The accesses waiting in handle_userfault, the last to wait first (__add_wait_queue). */
  readonly waiters: UffdWaiter[];
}
/** A user access that waits in handle_userfault: where it resumes (src/mm/fault-loop.ts). */
export interface UffdWaiter {
  /** msg.arg.pagefault.address: what a wake's range is matched against. */
  readonly address: U64;
  readonly cpu: number;
  readonly va: U64;
  readonly resume: unknown;
}
/** struct address_space of a file, as far as the kernel's decisions read it. */
export interface AddressSpace {
  readonly name: string;
  /** mapping_can_writeback (include/linux/backing-dev.h:134). */
  readonly canWriteback: boolean;
  /** IS_SWAPFILE(mapping->host). */
  readonly swapfile: boolean;
  /** A shmem/tmpfs inode: its VMAs have shmem_vm_ops. */
  readonly shmem: boolean;
  /** i_size in pages (shmem). */
  readonly size: U64 | undefined;
  /** The page cache: folios by page index. */
  readonly cache: Map<U64, CachedFolio>;
}
export interface Mm {
  readonly name: string;
  readonly tree: number;
  /** Sorted by address. */
  readonly vmas: Vma[];
  /** mm->tlb_flush_pending: flushes other threads have pending, and the ones in progress. */
  tlbFlushPending: number;
  /** mm->tlb_flush_batched: reclaim batched a flush of this mm that flush_tlb_batched_pending owes. */
  tlbFlushBatched: boolean;
  /** The mmu notifier subscriptions, in the order the kernel calls them (newest first). */
  readonly notifiers: readonly string[];
}
export interface KernelMm {
  readonly tree: number;
  readonly vmAreas: readonly SetupVmStruct[];
  readonly linearMap: { readonly va: U64; readonly pa: U64 } | undefined;
  readonly rodataFull: boolean;
  readonly bti: boolean;
}
export interface LinuxState {
  readonly mms: ReadonlyMap<string, Mm>;
  readonly vmas: ReadonlyMap<string, Vma>;
  readonly initMm: KernelMm | undefined;
  readonly zeroPfn: U64 | undefined;
  readonly hugeZeroPfn: U64 | undefined;
  readonly folios: readonly { readonly pfn: U64; readonly order: number }[];
  readonly files: ReadonlyMap<string, AddressSpace>;
  /** Listed pages by PFN; a RAM page not listed is not PageAnon. */
  readonly pages: Map<U64, PageState>;
  /** The page-cache folios by PFN, with their file (folio->mapping). */
  readonly cached: Map<
    U64,
    { readonly file: string; readonly index: U64; readonly folio: CachedFolio }
  >;
  /** Free order-0 pages, in the order the page allocator hands them out. */
  readonly freePages: U64[];
  /** The vm_ops scripts' calls so far in the vector, per VMA and callback, and each rule's uses. */
  readonly vmOpsCalls: Map<string, number>;
  readonly ruleUses: Map<object, number>;
  /** highest_memmap_pfn: the last PFN of RAM. */
  readonly highestPfn: U64;
  /** userfaultfd contexts by name. */
  readonly uffds: ReadonlyMap<string, UffdCtx>;
  /** The swap cache: a folio's PFN by its swp_entry_t value (mm/swap_state.c). */
  readonly swapCache: Map<U64, U64>;
  /** The swapped-on devices by swap type: SWP_SYNCHRONOUS_IO. */
  readonly swapDevices: ReadonlyMap<number, { readonly synchronousIo: boolean }>;
}

/** find_vma(mm, addr): the first VMA with vm_end > addr (mm/mmap.c). */
export function find_vma(mm: Mm, addr: U64): Vma | undefined {
  return mm.vmas.find((v) => v.end > addr);
}

/** vma_interval_tree_foreach over a file's VMAs overlapping pages [first, last]: ascending vm_pgoff. */
export function i_mmap(st: LinuxState, file: string, first: U64, last: U64, page: U64): Vma[] {
  return [...st.vmas.values()]
    .filter((v) => v.file === file)
    .filter((v) => v.pgoff <= last && v.pgoff + (v.end - v.start) / page - 1n >= first)
    .sort((a, b) => (a.pgoff < b.pgoff ? -1 : a.pgoff > b.pgoff ? 1 : 0));
}

/** A file argument names a listed file or one a VMA maps (a listed file no VMA maps is an empty mapping). */
export function needFile(st: LinuxState, file: string): void {
  if (!st.files.has(file) && ![...st.vmas.values()].some((v) => v.file === file))
    throw new VectorFormatError(
      `no file "${file}" in setup.files or mapped by a VMA`,
      '/args/file',
    );
}

declare module '../ops/types.ts' {
  interface OpContext {
    /** The vector's Linux mm state, when its setup has mms or init_mm. */
    readonly linux?: LinuxState;
  }
}
