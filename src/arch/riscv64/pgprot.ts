// riscv64 vm_get_page_prot: arch/riscv/mm/init.c:376 protection_map + DECLARE_VM_GET_PAGE_PROT,
// prot values from pgtable.h:171-185 (kernel-facts §4.1).

import { not64, type U64 } from '../../bits/u64.ts';
import type { KernelConfig } from '../../config.ts';
import type { ArchProt } from '../../mm/arch.ts';
import { genericPgprotModify, type CacheAttrs } from '../pgprot-generic.ts';
import { mtMask } from './pgtable.ts';
import { protectionMapIndex, type VmFlags } from '../../mm/vm-flags.ts';
import * as B from './bits.ts';

const _PAGE_BASE = B._PAGE_PRESENT | B._PAGE_ACCESSED | B._PAGE_USER;
export const PAGE_NONE = B._PAGE_PROT_NONE | B._PAGE_READ;
export const PAGE_READ = _PAGE_BASE | B._PAGE_READ;
export const PAGE_WRITE = _PAGE_BASE | B._PAGE_READ | B._PAGE_WRITE;
export const PAGE_EXEC = _PAGE_BASE | B._PAGE_EXEC;
export const PAGE_READ_EXEC = _PAGE_BASE | B._PAGE_READ | B._PAGE_EXEC;
export const PAGE_WRITE_EXEC = _PAGE_BASE | B._PAGE_READ | B._PAGE_WRITE | B._PAGE_EXEC;
export const PAGE_COPY = PAGE_READ;
export const PAGE_COPY_EXEC = PAGE_READ_EXEC;
export const PAGE_SHARED = PAGE_WRITE;
export const PAGE_SHARED_EXEC = PAGE_WRITE_EXEC;

const protection_map: readonly U64[] = [
  PAGE_NONE, // VM_NONE
  PAGE_READ, // VM_READ
  PAGE_COPY, // VM_WRITE
  PAGE_COPY, // VM_WRITE | VM_READ
  PAGE_EXEC, // VM_EXEC
  PAGE_READ_EXEC, // VM_EXEC | VM_READ
  PAGE_COPY_EXEC, // VM_EXEC | VM_WRITE
  PAGE_COPY_EXEC, // VM_EXEC | VM_WRITE | VM_READ
  PAGE_NONE, // VM_SHARED
  PAGE_READ, // VM_SHARED | VM_READ
  PAGE_SHARED, // VM_SHARED | VM_WRITE
  PAGE_SHARED, // VM_SHARED | VM_WRITE | VM_READ
  PAGE_EXEC, // VM_SHARED | VM_EXEC
  PAGE_READ_EXEC, // VM_SHARED | VM_EXEC | VM_READ
  PAGE_SHARED_EXEC, // VM_SHARED | VM_EXEC | VM_WRITE
  PAGE_SHARED_EXEC, // VM_SHARED | VM_EXEC | VM_WRITE | VM_READ
];

export function vm_get_page_prot(flags: VmFlags): U64 {
  return protection_map[protectionMapIndex(flags)] ?? PAGE_NONE;
}

/**
 * pgtable.h:707-727 over pgtable-64.h:123-169: with Svpbmt, _PAGE_IO and _PAGE_NOCACHE are PBMT 2 and 1
 * and _PAGE_MTMASK bits 61-62; without it all three are 0, and pgprot_noncached is the identity.
 * Model choice: no T-Head memory-type errata.
 */
function cache(cfg: KernelConfig): CacheAttrs {
  const io = cfg.Svpbmt ? B._PAGE_IO_SVPBMT : 0n;
  const nc = cfg.Svpbmt ? B._PAGE_NOCACHE_SVPBMT : 0n;
  const noncached = (p: U64) => (p & not64(mtMask(cfg))) | io;
  return {
    pgprot_noncached: noncached,
    pgprot_writecombine: (p) => (p & not64(mtMask(cfg))) | nc,
    pgprot_device: noncached,
  };
}

export const riscvProt: ArchProt = {
  pgprot_modify: (oldprot, newprot, cfg) => genericPgprotModify(cache(cfg), oldprot, newprot),
  // pgtable.h:491.
  supportsSoftDirty: (cfg) => cfg.CONFIG_MEM_SOFT_DIRTY && cfg.Svrsw60t59b,
};
