// What the walk, pageattr and fault ops return (schemas WalkResult, FolioWalkResult, PageFaultEntry).

import type { EntryChange } from './pgtable.ts';
import type { FolioWalkResult } from './folio-walk.ts';
import type { WalkEvent } from './pagewalk.ts';
import type { PageFaultEntry } from './fault-flags.ts';
import type { FaultLoopResult } from './fault-loop.ts';
import type { MprotectResult } from './mprotect.ts';

export interface WalkResult {
  readonly kind: 'walk';
  readonly ret: number;
  readonly events: readonly WalkEvent[];
  readonly changes: readonly EntryChange[];
}
export type LinuxOpResult =
  WalkResult | FolioWalkResult | PageFaultEntry | FaultLoopResult | MprotectResult;
