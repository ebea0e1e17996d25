// The dirty family's ops: v6.19 mm/mapping_dirty_helpers.c's wp_shared_mapping_range and
// clean_record_shared_mapping_range, and the seed's 2019 apply_as_wrprotect and apply_as_clean.

import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import type { OpArgs, OpContext, OpTable } from '../ops/types.ts';
import { apply_as_range } from './as_dirty_helpers.ts';
import {
  checkBitmap,
  cleanRecord,
  finishRecord,
  mapping_dirty_walk,
  wpCleanOps,
  wpWalk,
  type CleanRecord,
  type DirtyResult,
} from './mapping_dirty_helpers.ts';
import { archHelper, halves } from './pte-halves.ts';
import type { WalkCallbacks } from './pagewalk.ts';
import { needFile } from './state.ts';
import { linux, need, start, type ArchLinux } from './walk-ops.ts';

const u64 = (a: OpArgs, k: 'first_index' | 'nr' | 'bitmap_pgoff' | 'start' | 'end'): U64 =>
  need(a[k], `argument "${k}"`, `/args/${k}`);

/** The clean helpers' bitmap arguments, checked against the range. */
function bitmapArgs(a: OpArgs): CleanRecord {
  const bitmap = need(a.bitmap, 'argument "bitmap"', '/args/bitmap');
  const bitmap_pgoff = u64(a, 'bitmap_pgoff');
  checkBitmap(u64(a, 'first_index'), u64(a, 'nr'), bitmap_pgoff, bitmap.length);
  return cleanRecord(u64(a, 'nr'), bitmap_pgoff, bitmap, u64(a, 'start'), u64(a, 'end'));
}

/** Static checks of a dirty step, for the loader. */
export function checkDirtyArgs(ctx: OpContext, op: string, a: OpArgs): void {
  needFile(linux(ctx), need(a.file, 'argument "file"', '/args/file'));
  if (op === 'clean_record_shared_mapping_range' || op === 'apply_as_clean') bitmapArgs(a);
  else if (u64(a, 'first_index') + u64(a, 'nr') > 0xffffffffffffffffn)
    throw new VectorFormatError('first_index + nr wraps past 2^64', '/args/nr');
}

export function dirtyOps(A: ArchLinux): OpTable {
  const run = (a: OpArgs, ctx: OpContext, op: string, clean: boolean): DirtyResult => {
    checkDirtyArgs(ctx, op, a);
    const file = need(a.file, 'argument "file"', '/args/file');
    const rec = clean ? bitmapArgs(a) : undefined;
    const h = archHelper(A.table(), ctx);
    const x = halves(h, A.pteFlags);
    const init = { mm: null, vma: null, tree: 0, kernel: false, lock: 'none' } as const;
    let ret: U64;
    let s;
    if (op.startsWith('apply_as_')) {
      const none: WalkCallbacks = { walk_lock: 'PGWALK_RDLOCK' };
      s = start(A, a, ctx, init, none);
      ret = apply_as_range(s.w, x, file, u64(a, 'first_index'), u64(a, 'nr'), rec);
    } else {
      const wp = wpWalk();
      s = start(A, a, ctx, init, wpCleanOps(h, x, wp, rec));
      ret = mapping_dirty_walk(s.w, wp, A.huge, file, u64(a, 'first_index'), u64(a, 'nr'), op);
    }
    if (rec) finishRecord(rec);
    return {
      kind: 'dirty',
      ret,
      ...(rec ? { clean: rec } : {}),
      events: s.events,
      changes: s.w.t.changed(),
    };
  };
  return {
    wp_shared_mapping_range: (a, ctx) => run(a, ctx, 'wp_shared_mapping_range', false),
    clean_record_shared_mapping_range: (a, ctx) =>
      run(a, ctx, 'clean_record_shared_mapping_range', true),
    apply_as_wrprotect: (a, ctx) => run(a, ctx, 'apply_as_wrprotect', false),
    apply_as_clean: (a, ctx) => run(a, ctx, 'apply_as_clean', true),
  };
}
