// vm_area_struct flags by name (include/linux/mm.h). The pte family only needs membership, not values.

export type VmFlag =
  | 'VM_READ'
  | 'VM_WRITE'
  | 'VM_EXEC'
  | 'VM_SHARED'
  | 'VM_MAYREAD'
  | 'VM_MAYWRITE'
  | 'VM_MAYEXEC'
  | 'VM_MAYSHARE'
  | 'VM_PFNMAP'
  | 'VM_IO'
  | 'VM_MIXEDMAP'
  | 'VM_HUGETLB'
  | 'VM_SOFTDIRTY'
  | 'VM_UFFD_WP'
  | 'VM_UFFD_MISSING'
  | 'VM_UFFD_MINOR'
  | 'VM_SHADOW_STACK'
  | 'VM_PKEY_BIT0'
  | 'VM_PKEY_BIT1'
  | 'VM_PKEY_BIT2'
  | 'VM_PKEY_BIT3'
  | 'VM_DONTEXPAND'
  | 'VM_HUGEPAGE'
  | 'VM_NOHUGEPAGE'
  | 'VM_LOCKED';

export type VmFlags = ReadonlySet<VmFlag>;

/** Every flag, in the order of common.schema.json VmFlag (the order results list them in). */
export const VM_FLAG_ORDER: readonly VmFlag[] = [
  'VM_READ',
  'VM_WRITE',
  'VM_EXEC',
  'VM_SHARED',
  'VM_MAYREAD',
  'VM_MAYWRITE',
  'VM_MAYEXEC',
  'VM_MAYSHARE',
  'VM_PFNMAP',
  'VM_IO',
  'VM_MIXEDMAP',
  'VM_HUGETLB',
  'VM_SOFTDIRTY',
  'VM_UFFD_WP',
  'VM_UFFD_MISSING',
  'VM_UFFD_MINOR',
  'VM_SHADOW_STACK',
  'VM_PKEY_BIT0',
  'VM_PKEY_BIT1',
  'VM_PKEY_BIT2',
  'VM_PKEY_BIT3',
  'VM_DONTEXPAND',
  'VM_HUGEPAGE',
  'VM_NOHUGEPAGE',
  'VM_LOCKED',
];

/** The protection_map index: vm_flags & (VM_READ|VM_WRITE|VM_EXEC|VM_SHARED) (include/linux/pgtable.h:2189). */
export function protectionMapIndex(flags: VmFlags): number {
  return (
    (flags.has('VM_READ') ? 1 : 0) |
    (flags.has('VM_WRITE') ? 2 : 0) |
    (flags.has('VM_EXEC') ? 4 : 0) |
    (flags.has('VM_SHARED') ? 8 : 0)
  );
}

declare module '../ops/types.ts' {
  interface OpArgs {
    readonly vmFlags?: VmFlags;
  }
}
