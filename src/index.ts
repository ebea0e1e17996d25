// The engine's public surface: the only file outside src/ may import (runners/adapters/reference.ts).

export { hex64, type U64 } from './bits/u64.ts';
export { CONFIG_KEYS, type Arch, type KernelConfig, type Mode } from './config.ts';
export {
  buildSetup,
  checkSteps,
  type VectorSetup,
  runVector,
  type EngineStep,
  type EngineVector,
  type StepArgs,
  type StepOutcome,
  type StepRef,
} from './engine.ts';
export { InternalError, UnsupportedError, VectorFormatError } from './errors.ts';
export { ARCH_DESCRIPTIONS } from './layout/descriptions.generated.ts';
export type { FieldDesc, FormatDesc, LevelDesc, ModeDesc } from './layout/types.ts';
export type { VmFlag } from './mm/vm-flags.ts';
export type { LinuxOpResult } from './mm/result.ts';
export type { WalkResult } from './mm/walk-ops.ts';
export type { EntryChange } from './mm/pgtable.ts';
export type { WalkEvent } from './mm/pagewalk.ts';
export { faultFlagNames, type Signal } from './mm/fault-flags.ts';
export type { FaultLoopResult } from './mm/fault-loop.ts';
export type { MprotectResult } from './mm/mprotect.ts';
export type { PagemapResult, UffdResult, ZapResult } from './mm/uffd-ops.ts';
export type { PagemapScanResult } from './mm/pagemap_scan.ts';
export type { MunmapResult } from './mm/munmap-ops.ts';
export { bitmapWords, type DirtyResult } from './mm/mapping_dirty_helpers.ts';
export { vmFaultNames, type FaultEvent } from './mm/vm-fault.ts';
export { cpuFeatures, modeDesc, opsOf } from './registry.ts';
export type { DecodedEntry, DecodedField, LinuxLevel, OpValue } from './ops/types.ts';
export type { EngineSetup, SetupCpu, SetupMapping } from './machine/builder.ts';
export type { AccessOutcome, ArchReport, RootArg, Update } from './machine/types.ts';
