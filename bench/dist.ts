// The compiled package (dist/, what an install of ptvec runs), typed as its sources. Every bench times
// this and not the sources under tsx: tsx's transform keeps function names by wrapping each closure
// as it is made, which cost the fault loop a third of its time (12.7 against 8.4 µs a fault, measured
// in the same hour). `npm run bench` builds dist/ first.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../runners/paths.ts';
import type * as AdapterModule from '../runners/adapter.ts';
import type * as ReferenceModule from '../runners/adapters/reference.ts';
import type * as CompareModule from '../runners/compare.ts';
import type * as LoadModule from '../runners/load.ts';
import type * as ClientModule from '../runners/protocol/client.ts';
import type * as RunModule from '../runners/run.ts';
import type * as QemuBuildModule from '../runners/adapters/qemu/build.ts';
import type * as QemuModule from '../runners/adapters/qemu/index.ts';
import type * as QemuTargetsModule from '../runners/adapters/qemu/targets.ts';
import type * as EngineModule from '../src/engine.ts';
import type * as IndexModule from '../src/index.ts';
import type * as BuilderModule from '../src/machine/builder.ts';
import type * as GeometryModule from '../src/machine/geometry.ts';
import type * as HalvesModule from '../src/machine/halves.ts';
import type * as WorkModule from '../src/machine/work.ts';
import type * as X86MmuModule from '../src/machine/x86_64/mmu.ts';
import type * as FaultOpsModule from '../src/mm/fault-ops.ts';
import type * as DirtyHelpersModule from '../src/mm/mapping_dirty_helpers.ts';
import type * as PagewalkModule from '../src/mm/pagewalk.ts';
import type * as PgtableModule from '../src/mm/pgtable.ts';
import type * as PteHalvesModule from '../src/mm/pte-halves.ts';
import type * as UffdOpsModule from '../src/mm/uffd-ops.ts';
import type * as UserfaultfdModule from '../src/mm/userfaultfd.ts';
import type * as RegistryModule from '../src/registry.ts';

/** The file: URL of `p` under dist/. */
export const dist = (p: string): string => pathToFileURL(join(PACKAGE_ROOT, 'dist', p)).href;

if (!existsSync(join(PACKAGE_ROOT, 'dist/runners/cli.js')))
  throw new Error('bench: dist/ is not built (npm run build; npm run bench builds it)');

const load = async <T>(p: string): Promise<T> => (await import(dist(p))) as T;

export const adapter = await load<typeof AdapterModule>('runners/adapter.js');
export const reference = await load<typeof ReferenceModule>('runners/adapters/reference.js');
export const compare = await load<typeof CompareModule>('runners/compare.js');
export const loader = await load<typeof LoadModule>('runners/load.js');
export const client = await load<typeof ClientModule>('runners/protocol/client.js');
export const run = await load<typeof RunModule>('runners/run.js');
export const qemuBuild = await load<typeof QemuBuildModule>('runners/adapters/qemu/build.js');
export const qemu = await load<typeof QemuModule>('runners/adapters/qemu/index.js');
export const qemuTargets = await load<typeof QemuTargetsModule>('runners/adapters/qemu/targets.js');
export const engine = await load<typeof EngineModule>('src/engine.js');
export const index = await load<typeof IndexModule>('src/index.js');
export const builder = await load<typeof BuilderModule>('src/machine/builder.js');
export const geometry = await load<typeof GeometryModule>('src/machine/geometry.js');
export const halves = await load<typeof HalvesModule>('src/machine/halves.js');
export const work = await load<typeof WorkModule>('src/machine/work.js');
export const x86Mmu = await load<typeof X86MmuModule>('src/machine/x86_64/mmu.js');
export const faultOps = await load<typeof FaultOpsModule>('src/mm/fault-ops.js');
export const dirtyHelpers = await load<typeof DirtyHelpersModule>(
  'src/mm/mapping_dirty_helpers.js',
);
export const pagewalk = await load<typeof PagewalkModule>('src/mm/pagewalk.js');
export const pgtable = await load<typeof PgtableModule>('src/mm/pgtable.js');
export const pteHalves = await load<typeof PteHalvesModule>('src/mm/pte-halves.js');
export const uffdOps = await load<typeof UffdOpsModule>('src/mm/uffd-ops.js');
export const userfaultfd = await load<typeof UserfaultfdModule>('src/mm/userfaultfd.js');
export const registry = await load<typeof RegistryModule>('src/registry.js');
