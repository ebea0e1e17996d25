// fs/proc/task_mmu.c (Linux v6.19) PAGEMAP_SCAN: struct pm_scan_arg (include/uapi/linux/fs.h:490-503)
// from a step's arguments, the masks and flags as lists of PAGE_IS_* and PM_SCAN_* names.

import type { U64 } from '../bits/u64.ts';
import { VectorFormatError } from '../errors.ts';
import type { OpArgs } from '../ops/types.ts';

/** PAGE_IS_* by bit (include/uapi/linux/fs.h:448-456). */
export const PAGE_IS = [
  'PAGE_IS_WPALLOWED',
  'PAGE_IS_WRITTEN',
  'PAGE_IS_FILE',
  'PAGE_IS_PRESENT',
  'PAGE_IS_SWAPPED',
  'PAGE_IS_PFNZERO',
  'PAGE_IS_HUGE',
  'PAGE_IS_SOFT_DIRTY',
  'PAGE_IS_GUARD',
] as const;
/** PM_SCAN_* by bit (include/uapi/linux/fs.h:471-472). */
export const PM_SCAN = ['PM_SCAN_WP_MATCHING', 'PM_SCAN_CHECK_WPASYNC'] as const;
/** sizeof(struct pm_scan_arg). */
export const PM_SCAN_ARG_SIZE = 96n;

/** The fields of struct pm_scan_arg (fs.h:490-503) the step gives; walk_end is output only. */
const FIELDS = [
  'size',
  'flags',
  'start',
  'end',
  'vec',
  'vec_len',
  'max_pages',
  'category_inverted',
  'category_mask',
  'category_anyof_mask',
  'return_mask',
] as const;
/** struct pm_scan_arg; the masks and flags as bit sets (any of the 64 bits). */
export type PmScanArg = Readonly<Record<(typeof FIELDS)[number], U64>>;

/** A list of names (or bit numbers, for the bits the UAPI leaves undefined) as a bit set. */
function bitList(v: unknown, key: string, names: readonly string[]): U64 {
  if (v === undefined) return 0n;
  if (!Array.isArray(v))
    throw new VectorFormatError(`expected \`${key}\` as a list of names`, `/args/${key}`);
  let bits = 0n;
  v.forEach((x: unknown, i) => {
    const k = typeof x === 'string' ? names.indexOf(x) : -1;
    if (k >= 0) bits |= 1n << BigInt(k);
    else if (typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < 64)
      bits |= 1n << BigInt(x);
    else
      throw new VectorFormatError(
        `expected one of ${names.join(', ')} or a bit number 0-63, not ${JSON.stringify(x)}`,
        `/args/${key}/${i}`,
      );
  });
  return bits;
}

/** The step's arguments as struct pm_scan_arg: `size` defaults to its sizeof, the rest to 0. */
export function pm_scan_arg(a: OpArgs): PmScanArg {
  const out = {} as Record<(typeof FIELDS)[number], U64>;
  for (const k of FIELDS) {
    const v: unknown = (a as Record<string, unknown>)[k];
    if (k === 'flags') out[k] = bitList(v, k, PM_SCAN);
    else if (k.startsWith('category') || k === 'return_mask') out[k] = bitList(v, k, PAGE_IS);
    else if (typeof v === 'bigint') out[k] = v;
    else if (v === undefined && k !== 'start' && k !== 'end')
      out[k] = k === 'size' ? PM_SCAN_ARG_SIZE : 0n;
    else throw new VectorFormatError(`expected \`${k}\` as a 64-bit value`, `/args/${k}`);
  }
  return out;
}
