// Kernel configuration and CPU features that change results. The keys are those of
// schemas/common.schema.json#/definitions/Config (test/unit/config.test.ts proves it); the runner fills in
// the defaults, so the engine always receives the whole set.

export type Arch = 'x86_64' | 'arm64' | 'riscv64';
export type Mode =
  | '4level'
  | '5level'
  | '4k-39'
  | '4k-48'
  | '16k-47'
  | '64k-42'
  | '64k-48'
  | 'sv39'
  | 'sv48'
  | 'sv57';

export interface KernelConfig {
  readonly CONFIG_MEM_SOFT_DIRTY: boolean;
  readonly CONFIG_USERFAULTFD: boolean;
  readonly CONFIG_PTE_MARKER_UFFD_WP: boolean;
  readonly CONFIG_TRANSPARENT_HUGEPAGE: boolean;
  readonly CONFIG_MIGRATION: boolean;
  readonly CONFIG_DEVICE_PRIVATE: boolean;
  readonly CONFIG_MEMORY_FAILURE: boolean;
  readonly X86_FEATURE_SHSTK: boolean;
  readonly CONFIG_X86_USER_SHADOW_STACK: boolean;
  readonly CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS: boolean;
  readonly ARM64_HAS_EPAN: boolean;
  readonly Svrsw60t59b: boolean;
  readonly Svpbmt: boolean;
  readonly Svnapot: boolean;
  readonly Svvptc: boolean;
  /** The kernel semantics: Linux v6.19, or a seed's older form where a vector asks for it. */
  readonly variant: 'linux-v6.19' | 'seed-2005-page_mkwrite' | 'seed-2021-uffd-wp-special';
}

export const CONFIG_KEYS: readonly (keyof KernelConfig)[] = [
  'CONFIG_MEM_SOFT_DIRTY',
  'CONFIG_USERFAULTFD',
  'CONFIG_PTE_MARKER_UFFD_WP',
  'CONFIG_TRANSPARENT_HUGEPAGE',
  'CONFIG_MIGRATION',
  'CONFIG_DEVICE_PRIVATE',
  'CONFIG_MEMORY_FAILURE',
  'X86_FEATURE_SHSTK',
  'CONFIG_X86_USER_SHADOW_STACK',
  'CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS',
  'ARM64_HAS_EPAN',
  'Svrsw60t59b',
  'Svpbmt',
  'Svnapot',
  'Svvptc',
  'variant',
];
