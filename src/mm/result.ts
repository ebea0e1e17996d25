// What the walk and pageattr ops return (schemas WalkResult, FolioWalkResult).

import type { EntryChange } from './pgtable.ts';
import type { FolioWalkResult } from './folio-walk.ts';
import type { WalkEvent } from './pagewalk.ts';

export interface WalkResult {
  readonly kind: 'walk';
  readonly ret: number;
  readonly events: readonly WalkEvent[];
  readonly changes: readonly EntryChange[];
}
export type LinuxOpResult = WalkResult | FolioWalkResult;
