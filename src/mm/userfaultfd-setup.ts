// The userfaultfd contexts of a vector's setup and the VMAs registered with them (schemas Uffd,
// VmArea.uffd). Everything it rejects is a VectorFormatError naming the entry.

import { VectorFormatError } from '../errors.ts';
import type { LinuxSetup, Mm, UffdCtx } from './state.ts';

/** UFFD_FEATURE_* names in the order of their values (include/uapi/linux/userfaultfd.h:234-250). */
export const UFFD_FEATURES = [
  'PAGEFAULT_FLAG_WP',
  'EVENT_FORK',
  'EVENT_REMAP',
  'EVENT_REMOVE',
  'MISSING_HUGETLBFS',
  'MISSING_SHMEM',
  'EVENT_UNMAP',
  'SIGBUS',
  'THREAD_ID',
  'MINOR_HUGETLBFS',
  'MINOR_SHMEM',
  'EXACT_ADDRESS',
  'WP_HUGETLBFS_SHMEM',
  'WP_UNPOPULATED',
  'POISON',
  'WP_ASYNC',
  'MOVE',
] as const;

const UFFD_VM_FLAGS = ['VM_UFFD_MISSING', 'VM_UFFD_WP', 'VM_UFFD_MINOR'] as const;

export function buildUffds(s: LinuxSetup, mms: ReadonlyMap<string, Mm>): Map<string, UffdCtx> {
  const uffds = new Map<string, UffdCtx>();
  (s.uffds ?? []).forEach((u, i) => {
    const at = `/setup/uffds/${i}`;
    if (uffds.has(u.name))
      throw new VectorFormatError(`uffd "${u.name}" is named twice`, `${at}/name`);
    const mm = mms.get(u.mm);
    if (!mm) throw new VectorFormatError(`no mm "${u.mm}" in setup.mms`, `${at}/mm`);
    const features = u.features && new Set(u.features);
    // userfaultfd_api (fs/userfaultfd.c:1992): WP_ASYNC implies WP_UNPOPULATED.
    if (features?.has('WP_ASYNC') && !features.has('WP_UNPOPULATED'))
      throw new VectorFormatError(
        'UFFDIO_API adds WP_UNPOPULATED to WP_ASYNC (fs/userfaultfd.c:1992): list both',
        `${at}/features`,
      );
    uffds.set(u.name, {
      name: u.name,
      mm,
      features,
      userModeOnly: u.user_mode_only ?? false,
      waiters: [],
    });
  });
  (s.mms ?? []).forEach((sm, i) =>
    sm.vmas.forEach((sv, j) => {
      // VM_UFFD_* flags without a context serve the decisions that read only the flags (writenotify,
      // the write upgrade); handle_userfault without a context is VM_FAULT_SIGBUS (fs/userfaultfd.c:400).
      if (sv.uffd === undefined) return;
      const at = `/setup/mms/${i}/vmas/${j}`;
      const vma = mms.get(sm.name)!.vmas[j]!;
      const armed = UFFD_VM_FLAGS.some((x) => vma.flags.has(x));
      const ctx = uffds.get(sv.uffd);
      if (!ctx) throw new VectorFormatError(`no uffd "${sv.uffd}" in setup.uffds`, `${at}/uffd`);
      if (ctx.mm.name !== sm.name)
        throw new VectorFormatError(
          `uffd "${sv.uffd}" belongs to mm "${ctx.mm.name}"`,
          `${at}/uffd`,
        );
      if (!armed)
        throw new VectorFormatError(
          '`uffd` registers the VMA: give it VM_UFFD_MISSING, VM_UFFD_WP or VM_UFFD_MINOR',
          `${at}/flags`,
        );
      if (ctx.features === undefined)
        throw new VectorFormatError(
          `uffd "${ctx.name}" has not had UFFDIO_API (no \`features\`): it registers nothing`,
          `${at}/uffd`,
        );
      vma.uffd = ctx;
    }),
  );
  (s.files ?? []).forEach((f, i) => {
    if (f.shmem && f.size === undefined)
      throw new VectorFormatError(
        'a shmem file needs its `size` (i_size in pages)',
        `/setup/files/${i}`,
      );
  });
  return uffds;
}
