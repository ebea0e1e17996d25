// The Linux state of a vector's setup: its mms and VMAs, files, init_mm, pages and swap. Everything
// it rejects is a VectorFormatError naming the entry.

import { hex64, type U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import { HUGE_SHIFT, hugetlbSizes, type HugeSize, type HugetlbArch } from './hugetlb_sizes.ts';
import { buildUffds } from './userfaultfd-setup.ts';
import { swp_entry } from './swapops.ts';
import type {
  AddressSpace,
  CachedFolio,
  LinuxSetup,
  LinuxState,
  Mm,
  PageState,
  Vma,
  VmOp,
} from './state.ts';

export interface LinuxGeometry {
  /** The arch, for its hugetlb sizes. */
  readonly arch: HugetlbArch;
  readonly pageShift: number;
  /** Whether `va` is a user address of the mode. */
  userVa(va: U64): boolean;
}

/** The setup's names of the hstates, for the message of a size that is not one. */
const hugeNames = (hstates: ReadonlyMap<number, HugeSize>): string =>
  Object.entries(HUGE_SHIFT)
    .filter(([, shift]) => hstates.has(shift))
    .map(([name]) => name)
    .join(', ');

const vmaAt = (i: number, j: number): string => `/setup/mms/${i}/vmas/${j}`;

/** The trees an mm setup names, so that the radix builder allocates their roots. */
export function linuxTrees(s: LinuxSetup): number[] {
  return [...(s.mms ?? []).map((m) => m.tree ?? 0), ...(s.init_mm ? [s.init_mm.tree] : [])];
}

export function buildLinux(s: LinuxSetup, g: LinuxGeometry, ramEnd: U64): LinuxState {
  const mms = new Map<string, Mm>();
  const vmas = new Map<string, Vma>();
  const pageShift = BigInt(g.pageShift);
  const page = 1n << pageShift;
  // has_svnapot(): riscv_isa is the AND of every hart's (arch/riscv/kernel/cpufeature.c:891-894); a
  // setup without cpus has one CPU with the default features, Svnapot off. Asked of hugetlb VMAs only.
  let hstates: ReadonlyMap<number, HugeSize> | undefined;
  const hstatesOf = () =>
    (hstates ??= hugetlbSizes(
      g.arch,
      g.pageShift,
      (s.cpus ?? [{}]).every((c) => c.features?.Svnapot === true),
    ));
  (s.mms ?? []).forEach((sm, i) => {
    if (mms.has(sm.name))
      throw new VectorFormatError(`mm "${sm.name}" is named twice`, `/setup/mms/${i}/name`);
    const mm: Mm = {
      name: sm.name,
      tree: sm.tree ?? 0,
      vmas: [],
      tlbFlushPending: sm.tlb_flush_pending ?? 0,
      tlbFlushBatched: false,
      // __mmu_notifier_register: hlist_add_head_rcu, so the last registered is called first.
      notifiers: [...(sm.mmu_notifiers ?? [])].reverse(),
    };
    mms.set(sm.name, mm);
    let last = 0n;
    sm.vmas.forEach((sv, j) => {
      if (vmas.has(sv.name))
        throw new VectorFormatError(`VMA "${sv.name}" is named twice`, `${vmaAt(i, j)}/name`);
      if (sv.start % page !== 0n || sv.end % page !== 0n || sv.end <= sv.start)
        throw new VectorFormatError('expected page-aligned start < end', vmaAt(i, j));
      if (sv.start < last)
        throw new VectorFormatError(
          `overlaps or precedes the VMA before it (ends ${hex64(last)}): VMAs are sorted`,
          `${vmaAt(i, j)}/start`,
        );
      if (!g.userVa(sv.start) || !g.userVa(sv.end - 1n))
        throw new VectorFormatError('expected a VMA inside the user address space', vmaAt(i, j));
      const flags = new Set(sv.flags);
      let hstate: HugeSize | undefined;
      if (sv.hugetlb !== undefined || flags.has('VM_HUGETLB')) {
        const shift = sv.hugetlb === undefined ? undefined : HUGE_SHIFT[sv.hugetlb];
        hstate = shift === undefined ? undefined : hstatesOf().get(shift);
        if (hstate === undefined || !flags.has('VM_HUGETLB'))
          throw new VectorFormatError(
            `a hugetlb VMA needs VM_HUGETLB and \`hugetlb\`, a size the kernel registers here (${hugeNames(hstatesOf())})`,
            `${vmaAt(i, j)}/hugetlb`,
          );
        const size = 1n << BigInt(hstate.shift);
        if (sv.start % size !== 0n || sv.end % size !== 0n)
          throw new VectorFormatError(`expected a VMA aligned to ${sv.hugetlb}`, vmaAt(i, j));
      }
      last = sv.end;
      // shmem_vm_ops (mm/shmem.c): ->fault is shmem_fault, with ->map_pages; no script.
      const shmem = (s.files ?? []).some((f) => f.name === sv.file && f.shmem === true);
      if (shmem && sv.vm_ops !== undefined)
        throw new VectorFormatError(
          'a VMA of a shmem file has shmem_vm_ops: give it no `vm_ops`',
          `${vmaAt(i, j)}/vm_ops`,
        );
      const vma: Vma = {
        name: sv.name,
        mm,
        start: sv.start,
        end: sv.end,
        flags,
        pgoff: sv.pgoff ?? sv.start >> pageShift,
        file: sv.file,
        hugetlbShift: hstate?.shift,
        hstate,
        vmOps: new Set(shmem ? ['fault', 'map_pages'] : (Object.keys(sv.vm_ops ?? {}) as VmOp[])),
        // hugetlb VMAs have hugetlb_vm_ops (fs/hugetlbfs/inode.c:123), shmem ones shmem_vm_ops.
        hasVmOps: shmem || hstate !== undefined || sv.vm_ops !== undefined,
        // The scripts of the callbacks that exist (map_pages is `{}`, no script).
        vmOpsScripts: sv.vm_ops ?? {},
        vmPageProt: sv.vm_page_prot,
        pageProtSet: false,
        uffd: undefined,
      };
      mm.vmas.push(vma);
      vmas.set(sv.name, vma);
    });
  });
  const files = new Map<string, AddressSpace>();
  const cached = new Map<U64, { file: string; index: U64; folio: CachedFolio }>();
  (s.files ?? []).forEach((f, i) => {
    if (files.has(f.name))
      throw new VectorFormatError(`file "${f.name}" is listed twice`, `/setup/files/${i}/name`);
    const cache = new Map<U64, CachedFolio>();
    (f.pages ?? []).forEach((c, j) => {
      if (cache.has(c.index))
        throw new VectorFormatError(
          'the page index is cached twice',
          `/setup/files/${i}/pages/${j}/index`,
        );
      if (cached.has(c.pfn))
        throw new VectorFormatError(
          `PFN 0x${c.pfn.toString(16)} is already cached in file "${cached.get(c.pfn)!.file}"`,
          `/setup/files/${i}/pages/${j}/pfn`,
        );
      const folio = { pfn: c.pfn, dirty: c.dirty ?? false };
      cache.set(c.index, folio);
      cached.set(c.pfn, { file: f.name, index: c.index, folio });
    });
    files.set(f.name, {
      name: f.name,
      canWriteback: f.can_writeback,
      swapfile: f.swapfile ?? false,
      shmem: f.shmem ?? false,
      size: f.size,
      cache,
    });
  });
  const pages = new Map<U64, PageState>();
  const swapCache = new Map<U64, U64>();
  (s.pages ?? []).forEach((p, i) => {
    const at = `/setup/pages/${i}`;
    if (pages.has(p.pfn)) throw new VectorFormatError('the PFN is listed twice', `${at}/pfn`);
    if (p.exclusive && !p.anon)
      throw new VectorFormatError(
        'PageAnonExclusive is only for an anonymous page',
        `${at}/exclusive`,
      );
    let swap: U64 | undefined;
    if (p.swap) {
      if (!p.swapcache || !p.anon)
        throw new VectorFormatError(
          'folio->swap is for an anonymous folio in the swap cache (swapcache: true)',
          `${at}/swap`,
        );
      swap = swp_entry(p.swap.type, p.swap.offset);
      if (swapCache.has(swap))
        throw new VectorFormatError('two folios in the swap cache at one entry', `${at}/swap`);
      swapCache.set(swap, p.pfn);
    }
    pages.set(p.pfn, {
      anon: p.anon,
      exclusive: p.exclusive ?? false,
      refcount: p.refcount ?? 1,
      ksm: p.ksm ?? false,
      swapcache: p.swapcache ?? false,
      ...(swap === undefined ? {} : { swap }),
    });
  });
  const swapDevices = new Map<number, { readonly synchronousIo: boolean }>();
  (s.swap_devices ?? []).forEach((d, i) => {
    if (swapDevices.has(d.type))
      throw new VectorFormatError('the swap type is listed twice', `/setup/swap_devices/${i}/type`);
    swapDevices.set(d.type, { synchronousIo: d.synchronous_io ?? false });
  });
  const k = s.init_mm;
  if (k && g.arch !== 'arm64') {
    // The state arch/arm64/mm/pageattr.c reads: no other arch's model reads it.
    const armOnly = (['vm_areas', 'linear_map', 'rodata_full', 'bti'] as const).find(
      (m) => k[m] !== undefined,
    );
    if (armOnly)
      throw new VectorFormatError(
        `init_mm.${armOnly} is arm64's (arch/arm64/mm/pageattr.c): ${g.arch} has none`,
        `/setup/init_mm/${armOnly}`,
      );
  }
  const uffds = buildUffds(s, mms);
  return {
    mms,
    vmas,
    initMm: k && {
      tree: k.tree,
      vmAreas: k.vm_areas ?? [],
      linearMap: k.linear_map,
      rodataFull: k.rodata_full ?? true,
      bti: k.bti ?? false,
    },
    zeroPfn: s.zero_pfn,
    hugeZeroPfn: s.huge_zero_pfn,
    folios: s.folios ?? [],
    files,
    pages,
    cached,
    freePages: [...(s.free_pages ?? [])],
    vmOpsCalls: new Map(),
    ruleUses: new Map(),
    highestPfn: ramEnd / page - 1n,
    uffds,
    swapCache,
    swapDevices,
  };
}
