// Arch-independent swap entries, softleaf and PTE markers: Linux v6.19 include/linux/swapops.h,
// include/linux/leafops.h, include/linux/swap.h:49-118, include/linux/userfaultfd_k.h:314.

import { genmask, shl64, type U64 } from '../bits/u64.ts';
import type { KernelConfig } from '../config.ts';
import { arg, int } from '../ops/args.ts';
import type { OpTable } from '../ops/types.ts';
import type { ArchSwap } from './arch.ts';

/** MAX_SWAPFILES_SHIFT (swap.h:49); SWP_TYPE_SHIFT = BITS_PER_XA_VALUE - 5 = 58 (swapops.h:27-28). */
const MAX_SWAPFILES_SHIFT = 5;
const SWP_TYPE_SHIFT = 63 - MAX_SWAPFILES_SHIFT;
const SWP_OFFSET_MASK = genmask(SWP_TYPE_SHIFT - 1, 0);

export const PTE_MARKER_UFFD_WP = 1;
export const PTE_MARKER_POISONED = 2;
export const PTE_MARKER_GUARD = 4;
const PTE_MARKER_MASK = 7;

export type SoftleafType =
  | 'SOFTLEAF_NONE'
  | 'SOFTLEAF_SWAP'
  | 'SOFTLEAF_MIGRATION_READ'
  | 'SOFTLEAF_MIGRATION_READ_EXCLUSIVE'
  | 'SOFTLEAF_MIGRATION_WRITE'
  | 'SOFTLEAF_DEVICE_PRIVATE_READ'
  | 'SOFTLEAF_DEVICE_PRIVATE_WRITE'
  | 'SOFTLEAF_DEVICE_EXCLUSIVE'
  | 'SOFTLEAF_HWPOISON'
  | 'SOFTLEAF_MARKER';

/** The special swap types of swap.h:62-118 under a config: each group exists only when its option is on. */
export interface SwapTypes {
  readonly MAX_SWAPFILES: number;
  readonly special: ReadonlyMap<number, SoftleafType>;
  readonly SWP_PTE_MARKER: number;
}

export function swapTypes(cfg: KernelConfig): SwapTypes {
  const device = cfg.CONFIG_DEVICE_PRIVATE ? 3 : 0;
  const migration = cfg.CONFIG_MIGRATION ? 3 : 0;
  const hwpoison = cfg.CONFIG_MEMORY_FAILURE ? 1 : 0;
  const max = (1 << MAX_SWAPFILES_SHIFT) - device - migration - hwpoison - 1;
  const special = new Map<number, SoftleafType>();
  if (hwpoison) special.set(max, 'SOFTLEAF_HWPOISON');
  if (migration) {
    const m = max + hwpoison;
    special.set(m, 'SOFTLEAF_MIGRATION_READ');
    special.set(m + 1, 'SOFTLEAF_MIGRATION_READ_EXCLUSIVE');
    special.set(m + 2, 'SOFTLEAF_MIGRATION_WRITE');
  }
  if (device) {
    const d = max + hwpoison + migration;
    special.set(d, 'SOFTLEAF_DEVICE_PRIVATE_WRITE');
    special.set(d + 1, 'SOFTLEAF_DEVICE_PRIVATE_READ');
    special.set(d + 2, 'SOFTLEAF_DEVICE_EXCLUSIVE');
  }
  const marker = max + hwpoison + migration + device;
  special.set(marker, 'SOFTLEAF_MARKER');
  return { MAX_SWAPFILES: max, special, SWP_PTE_MARKER: marker };
}

export function swp_entry(type: number, offset: U64): U64 {
  return shl64(BigInt(type), SWP_TYPE_SHIFT) | (offset & SWP_OFFSET_MASK); // swapops.h:84
}
export function swp_type(e: U64): number {
  return Number(e >> BigInt(SWP_TYPE_SHIFT));
}
export function swp_offset(e: U64): U64 {
  return e & SWP_OFFSET_MASK;
}

/** softleaf_type (leafops.h:140). An unknown special type WARNs and gives NONE. */
export function softleaf_type(e: U64, cfg: KernelConfig): SoftleafType {
  if (e === 0n) return 'SOFTLEAF_NONE';
  const types = swapTypes(cfg);
  const t = swp_type(e);
  if (t < types.MAX_SWAPFILES) return 'SOFTLEAF_SWAP';
  return types.special.get(t) ?? 'SOFTLEAF_NONE';
}

const MIGRATION = new Set<SoftleafType>([
  'SOFTLEAF_MIGRATION_READ',
  'SOFTLEAF_MIGRATION_READ_EXCLUSIVE',
  'SOFTLEAF_MIGRATION_WRITE',
]);
const HAS_PFN = new Set<SoftleafType>([
  ...MIGRATION,
  'SOFTLEAF_DEVICE_PRIVATE_READ',
  'SOFTLEAF_DEVICE_PRIVATE_WRITE',
  'SOFTLEAF_DEVICE_EXCLUSIVE',
  'SOFTLEAF_HWPOISON',
]);

export function softleaf_to_marker(e: U64): number {
  return Number(swp_offset(e) & BigInt(PTE_MARKER_MASK)); // leafops.h:317
}
function isMarkerWith(e: U64, bitv: number, cfg: KernelConfig): boolean {
  return softleaf_type(e, cfg) === 'SOFTLEAF_MARKER' && (softleaf_to_marker(e) & bitv) !== 0;
}

/** The generic ops over an arch's swap encoding. */
export function swapOps(A: ArchSwap): OpTable {
  /** swapops.h:70: clears the exclusive, swap soft-dirty and swap uffd-wp bits. */
  const pte_swp_clear_flags = (pte: U64, cfg: KernelConfig): U64 => pte & ~A.swpFlagMask(cfg);
  const softleaf_from_pte = (pte: U64, cfg: KernelConfig): U64 => {
    if (A.pte_present(pte, cfg) || A.pte_none(pte)) return 0n; // leafops.h:55
    const arch = pte_swp_clear_flags(pte, cfg);
    return swp_entry(A.__swp_type(arch), A.__swp_offset(arch));
  };
  const swp_entry_to_pte = (e: U64): U64 => A.__swp_entry(swp_type(e), swp_offset(e)); // swapops.h:114
  const pteMarker = (pte: U64, bitv: number, cfg: KernelConfig) =>
    isMarkerWith(softleaf_from_pte(pte, cfg), bitv, cfg);
  return {
    __swp_entry: (a) => A.__swp_entry(int(a, 'type'), arg(a, 'offset')),
    __swp_type: (a) => A.__swp_type(arg(a, 'entry')),
    __swp_offset: (a) => A.__swp_offset(arg(a, 'entry')),
    swp_entry: (a) => swp_entry(int(a, 'type'), arg(a, 'offset')),
    swp_type: (a) => swp_type(arg(a, 'entry')),
    swp_offset: (a) => swp_offset(arg(a, 'entry')),
    swp_entry_to_pte: (a) => swp_entry_to_pte(arg(a, 'entry')),
    pte_swp_clear_flags: (a, ctx) => pte_swp_clear_flags(arg(a, 'pte'), ctx.config),
    softleaf_from_pte: (a, ctx) => softleaf_from_pte(arg(a, 'pte'), ctx.config),
    softleaf_type: (a, ctx) => softleaf_type(arg(a, 'entry'), ctx.config),
    softleaf_to_marker: (a) => softleaf_to_marker(arg(a, 'entry')),
    softleaf_is_none: (a) => arg(a, 'entry') === 0n,
    softleaf_is_swap: (a, ctx) => softleaf_type(arg(a, 'entry'), ctx.config) === 'SOFTLEAF_SWAP',
    softleaf_is_migration: (a, ctx) => MIGRATION.has(softleaf_type(arg(a, 'entry'), ctx.config)),
    softleaf_is_marker: (a, ctx) =>
      softleaf_type(arg(a, 'entry'), ctx.config) === 'SOFTLEAF_MARKER',
    softleaf_is_uffd_wp_marker: (a, ctx) =>
      isMarkerWith(arg(a, 'entry'), PTE_MARKER_UFFD_WP, ctx.config),
    softleaf_is_poison_marker: (a, ctx) =>
      isMarkerWith(arg(a, 'entry'), PTE_MARKER_POISONED, ctx.config),
    softleaf_is_guard_marker: (a, ctx) =>
      isMarkerWith(arg(a, 'entry'), PTE_MARKER_GUARD, ctx.config),
    softleaf_has_pfn: (a, ctx) => HAS_PFN.has(softleaf_type(arg(a, 'entry'), ctx.config)),
    make_pte_marker: (a, ctx) =>
      swp_entry_to_pte(swp_entry(swapTypes(ctx.config).SWP_PTE_MARKER, BigInt(arg(a, 'marker')))),
    pte_is_marker: (a, ctx) =>
      softleaf_type(softleaf_from_pte(arg(a, 'pte'), ctx.config), ctx.config) === 'SOFTLEAF_MARKER',
    pte_is_uffd_wp_marker: (a, ctx) => pteMarker(arg(a, 'pte'), PTE_MARKER_UFFD_WP, ctx.config),
    pte_is_uffd_marker: (a, ctx) =>
      pteMarker(arg(a, 'pte'), PTE_MARKER_UFFD_WP | PTE_MARKER_POISONED, ctx.config),
    pgtable_supports_uffd_wp: (_a, ctx) => A.pgtable_supports_uffd_wp(ctx.config),
    // asm-generic/pgtable_uffd.h:16.
    uffd_supports_wp_marker: (_a, ctx) =>
      A.pgtable_supports_uffd_wp(ctx.config) && ctx.config.CONFIG_PTE_MARKER_UFFD_WP,
    // userfaultfd_k.h:314: false unless uffd_supports_wp_marker(); then a non-present pte that has
    // the swap uffd-wp bit or is a uffd-wp marker.
    pte_swp_uffd_wp_any: (a, ctx) => {
      const pte = arg(a, 'pte');
      const cfg = ctx.config;
      if (!A.pgtable_supports_uffd_wp(cfg) || !cfg.CONFIG_PTE_MARKER_UFFD_WP) return false;
      if (A.pte_present(pte, cfg)) return false;
      return (pte & A.swpUffdWpBit(cfg)) !== 0n || pteMarker(pte, PTE_MARKER_UFFD_WP, cfg);
    },
  };
}
