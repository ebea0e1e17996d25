// include/linux/pgtable.h:1524 pgprot_modify, for the arches that do not define their own (arm64,
// riscv64): a prot that already has the cache attributes pgprot_noncached, pgprot_writecombine or
// pgprot_device give keeps them in the new prot.

import type { U64 } from '../bits/u64.ts';

export interface CacheAttrs {
  readonly pgprot_noncached: (p: U64) => U64;
  readonly pgprot_writecombine: (p: U64) => U64;
  /** include/linux/pgtable.h:1513: pgprot_noncached where the arch defines none. */
  readonly pgprot_device: (p: U64) => U64;
}

export function genericPgprotModify(c: CacheAttrs, oldprot: U64, newprot: U64): U64 {
  let p = newprot;
  if (oldprot === c.pgprot_noncached(oldprot)) p = c.pgprot_noncached(p);
  if (oldprot === c.pgprot_writecombine(oldprot)) p = c.pgprot_writecombine(p);
  if (oldprot === c.pgprot_device(oldprot)) p = c.pgprot_device(p);
  return p;
}
