// What the Linux ops return: the walk, pageattr, fault and dirty families (schemas WalkResult,
// FolioWalkResult, PageFaultEntry, FaultLoopResult, MprotectResult, DirtyResult, UffdResult).

import type { EntryChange } from './pgtable.ts';
import type { FolioWalkResult } from './folio-walk.ts';
import type { WalkEvent } from './pagewalk.ts';
import type { PageFaultEntry } from './fault-flags.ts';
import type { FaultLoopResult } from './fault-loop.ts';
import type { MprotectResult } from './mprotect.ts';
import type { DirtyResult } from './mapping_dirty_helpers.ts';
import type { PagemapResult, UffdResult, ZapResult } from './uffd-ops.ts';
import type { PagemapScanResult } from './pagemap_scan.ts';
import type { MunmapResult } from './munmap-ops.ts';

export interface WalkResult {
  readonly kind: 'walk';
  readonly ret: number;
  readonly events: readonly WalkEvent[];
  readonly changes: readonly EntryChange[];
}
export type LinuxOpResult =
  | WalkResult
  | FolioWalkResult
  | PageFaultEntry
  | FaultLoopResult
  | MprotectResult
  | DirtyResult
  | UffdResult
  | ZapResult
  | PagemapResult
  | PagemapScanResult
  | MunmapResult;
