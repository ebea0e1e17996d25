// The arch descriptions (vectors/arch/*.json) as the runner reads them: which arch+modes exist, and
// the named fields of an entry, for showing which bits of a PTE-valued result differ. The comparer
// uses this data, never the reference engine.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARCH_DIR, displayPath } from './paths.ts';
import type { ArchDescription, Field, Level } from './vectors/generated/arch.ts';
import type { Problem } from './vectors/files.ts';
import { schemaProblems, validator } from './vectors/schemas.ts';

let cache: Map<string, ArchDescription> | undefined;
const loadProblems: Problem[] = [];

export function archDescriptions(): ReadonlyMap<string, ArchDescription> {
  if (!cache) {
    cache = new Map();
    const validate = validator('arch.schema.json');
    for (const f of readdirSync(ARCH_DIR)
      .filter((x) => x.endsWith('.json'))
      .sort()) {
      const path = join(ARCH_DIR, f);
      const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (!validate(data)) {
        for (const p of schemaProblems(validate))
          loadProblems.push({ file: displayPath(path), ...p });
        continue;
      }
      const d = data as ArchDescription;
      cache.set(`${d.arch}-${d.mode}`, d);
    }
  }
  return cache;
}

export function archProblems(): readonly Problem[] {
  archDescriptions();
  return loadProblems;
}

export function modesOf(arch: string): string[] {
  return [...archDescriptions().values()].filter((d) => d.arch === arch).map((d) => d.mode);
}

export function levelOf(d: ArchDescription, linux: string): Level | undefined {
  let l = linux;
  for (let i = 0; i < 5; i++) {
    const found = d.levels.find((x) => x.linux === l);
    if (found) return found;
    const fold = d.folded.find((f) => f.linux === l);
    if (!fold) return undefined;
    l = fold.into;
  }
  return undefined;
}

/**
 * The level of the entry a hugetlb_entry callback is given for pages of `hmask` (~(size - 1)): the
 * level whose leaf size is the largest not above the size. huge_pte_offset gives the pud, the pmd, or
 * the first entry of a contiguous run (arm64 CONT_PTE/CONT_PMD, riscv Svnapot) at the level below
 * (linux-v6.19 arch/arm64/mm/hugetlbpage.c huge_pte_offset, arch/riscv/mm/hugetlbpage.c
 * huge_pte_offset, mm/hugetlb.c huge_pte_offset).
 */
export function hugetlbLevel(arch: string, mode: string, hmask: bigint): string | undefined {
  const d = archDescriptions().get(`${arch}-${mode}`);
  const size = (~hmask & 0xffffffffffffffffn) + 1n;
  if (!d || (size & (size - 1n)) !== 0n) return undefined;
  let best: Level | undefined;
  let bestSize = 0n;
  for (const l of d.levels) {
    const leaf = l.leafSize === null ? 0n : BigInt(l.leafSize);
    if (leaf !== 0n && leaf <= size && leaf > bestSize) [best, bestSize] = [l, leaf];
  }
  return best?.linux;
}

const fieldValue = (v: bigint, f: Field): bigint => {
  const width = BigInt(f.bits[0] - f.bits[1] + 1);
  const m = (1n << width) - 1n;
  const raw = (v >> BigInt(f.bits[1])) & m;
  return f.inverted ? ~raw & m : raw;
};

export interface FieldDiff {
  readonly name: string;
  readonly bits: [number, number];
  readonly expected: string;
  readonly actual: string;
}

/**
 * The fields of `expected`'s format (at that level) whose values differ in `actual`; bits that no field
 * names are reported one by one as "bit N".
 */
export function fieldDiffs(
  arch: string,
  mode: string,
  level: string,
  expected: bigint,
  actual: bigint,
): FieldDiff[] {
  const d = archDescriptions().get(`${arch}-${mode}`);
  const lv = d && levelOf(d, level);
  const fmt = lv?.formats.find((f) => (expected & BigInt(f.match.mask)) === BigInt(f.match.value));
  const out: FieldDiff[] = [];
  let covered = 0n;
  for (const f of fmt?.fields ?? []) {
    const width = f.bits[0] - f.bits[1] + 1;
    covered |= ((1n << BigInt(width)) - 1n) << BigInt(f.bits[1]);
    const e = fieldValue(expected, f);
    const a = fieldValue(actual, f);
    if (e !== a)
      out.push({
        name: f.name,
        bits: [f.bits[0], f.bits[1]],
        expected: '0x' + e.toString(16),
        actual: '0x' + a.toString(16),
      });
  }
  const rest = (expected ^ actual) & ~covered;
  for (let b = 63; b >= 0; b--) {
    if ((rest >> BigInt(b)) & 1n) {
      out.push({
        name: `bit${b}`,
        bits: [b, b],
        expected: '0x' + ((expected >> BigInt(b)) & 1n).toString(16),
        actual: '0x' + ((actual >> BigInt(b)) & 1n).toString(16),
      });
    }
  }
  return out;
}
