// The shape of an operation as the engine runs it: decoded arguments in, one value out. The bottom
// of src/ above bits: every layer's ops have this shape. What only a higher layer knows (a machine,
// an mm state, an access outcome, a VMA's flags, a walk script) that layer adds to these interfaces
// beside its own types (module augmentation: machine/types.ts, mm/state.ts, mm/result.ts,
// mm/vm-flags.ts, mm/walk-script.ts), so that nothing here imports upwards.

import type { U64 } from '../bits/u64.ts';
import type { Arch, KernelConfig, Mode } from '../config.ts';

export type LinuxLevel = 'pgd' | 'p4d' | 'pud' | 'pmd' | 'pte';
/** A level's index in pgd, p4d, pud, pmd, pte. */
export type ChainIndex = 0 | 1 | 2 | 3 | 4;

export interface DecodedField {
  readonly value: U64;
  readonly width: number;
}
export interface DecodedEntry {
  readonly format: string;
  readonly fields: ReadonlyMap<string, DecodedField>;
}

/** The result records of the layers above, by layer (machine: AccessOutcome, linux: LinuxOpResult). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface OpResults {}
export type OpValue =
  boolean | U64 | number | string | DecodedEntry | OpResults[keyof OpResults] | null;

/** Arguments by name; the vector schema fixes which ones each op has (and the layers above add
 * `access`, `priv`, `root`, `vmFlags`, `ops`). */
export interface OpArgs {
  readonly pte?: U64;
  readonly pmd?: U64;
  readonly pud?: U64;
  readonly value?: U64;
  readonly prot?: U64;
  readonly pfn?: U64;
  readonly entry?: U64;
  readonly offset?: U64;
  /** A swap type, an INVPCID type (numbers) or a TLBI operation (string). */
  readonly type?: number | string;
  readonly marker?: number;
  readonly level?: LinuxLevel;
  readonly format?: string;
  readonly fields?: ReadonlyMap<string, U64>;
  readonly cpu?: number;
  readonly va?: U64;
  readonly pa?: U64;
  readonly asid?: number;
  readonly pcid?: number;
  readonly noflush?: boolean;
  readonly features?: Readonly<Record<string, boolean | number>>;
  // The walk and pageattr families.
  readonly mm?: string | null;
  /** A VMA by name, or by an address inside it. */
  readonly vma?: string | U64;
  readonly start?: U64;
  readonly end?: U64;
  readonly locks?: { readonly mmap_lock?: 'none' | 'read' | 'write' };
  readonly file?: string;
  readonly first_index?: U64;
  readonly nr?: U64;
  readonly pgd?: { readonly tree: number };
  readonly addr?: U64;
  readonly flags?: readonly string[];
  readonly size?: U64;
  /** mprotect's len. */
  readonly len?: U64;
  // The dirty family's bitmap (unsigned long words) and its first page offset.
  readonly bitmap?: readonly U64[];
  readonly bitmap_pgoff?: U64;
  readonly set?: U64;
  readonly clear?: U64;
  readonly numpages?: number;
  readonly enable?: boolean;
  // The uffd family.
  readonly uffd?: string;
  readonly api?: U64;
  readonly even_cows?: boolean;
  readonly count?: number;
  readonly show_pfn?: boolean;
  readonly advice?: string;
}

/** The machine and the mm state are added by machine/types.ts and mm/state.ts. */
export interface OpContext {
  readonly arch: Arch;
  readonly mode: Mode;
  readonly config: KernelConfig;
}

export type OpImpl = (args: OpArgs, ctx: OpContext) => OpValue;
export type OpTable = Readonly<Record<string, OpImpl>>;
