// What the Linux ops return: the walk, pageattr, fault and dirty families (schemas WalkResult,
// FolioWalkResult, PageFaultEntry, FaultLoopResult, MprotectResult, DirtyResult, UffdResult).

import type { FolioWalkResult } from './folio-walk.ts';
import type { PageFaultEntry } from './fault-flags.ts';
import type { FaultLoopResult } from './fault-loop.ts';
import type { MprotectResult } from './mprotect.ts';
import type { DirtyResult } from './mapping_dirty_helpers.ts';
import type { PagemapResult, UffdResult, ZapResult } from './uffd-ops.ts';
import type { PagemapScanResult } from './pagemap_scan.ts';
import type { MunmapResult } from './munmap-ops.ts';
import type { WalkResult } from './walk-ops.ts';

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

declare module '../ops/types.ts' {
  interface OpResults {
    linux: LinuxOpResult;
  }
}
