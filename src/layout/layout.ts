// decode / encode of an entry by the formats of its level (the `layout` op family).

import { genmask, type U64 } from '../bits/u64.ts';
import type { KernelConfig } from '../config.ts';
import { VectorFormatError } from '../errors.ts';
import type { DecodedEntry, DecodedField, LinuxLevel } from '../ops/types.ts';
import type { FieldDesc, FormatDesc, LevelDesc, ModeDesc } from './types.ts';

/** The hardware level whose entries a Linux level uses, following folds (a folded pud is the pgd entry). */
export function levelOf(desc: ModeDesc, level: LinuxLevel): LevelDesc {
  let l: LinuxLevel = level;
  for (let i = 0; i < 5; i++) {
    const found = desc.levels.find((x) => x.linux === l);
    if (found) return found;
    const fold = desc.folded.find((f) => f.linux === l);
    if (!fold) break;
    l = fold.into;
  }
  throw new VectorFormatError(`${desc.arch} ${desc.mode} has no level "${level}"`, '/args/level');
}

/** A field exists unless it needs config that is off (arch.schema.json Field.requires). */
export function fieldPresent(f: FieldDesc, cfg: KernelConfig): boolean {
  return (f.requires ?? []).every((k) => cfg[k]);
}

function fieldMask(f: FieldDesc): U64 {
  return genmask(f.msb, f.lsb);
}

export function matchFormat(level: LevelDesc, value: U64): FormatDesc | undefined {
  return level.formats.find((fmt) => (value & fmt.mask) === fmt.value);
}

export function decode(
  desc: ModeDesc,
  level: LinuxLevel,
  value: U64,
  cfg: KernelConfig,
): DecodedEntry {
  const lv = levelOf(desc, level);
  const fmt = matchFormat(lv, value);
  if (!fmt)
    throw new VectorFormatError(
      `no format of ${level} matches ${value.toString(16)}`,
      '/args/value',
    );
  const fields = new Map<string, DecodedField>();
  for (const f of fmt.fields) {
    if (!fieldPresent(f, cfg)) continue;
    const width = f.msb - f.lsb + 1;
    let v = (value & fieldMask(f)) >> BigInt(f.lsb);
    if (f.inverted) v = ~v & genmask(width - 1, 0);
    fields.set(f.name, { value: v, width });
  }
  return { format: fmt.name, fields };
}

export function encode(
  desc: ModeDesc,
  level: LinuxLevel,
  format: string,
  given: ReadonlyMap<string, U64>,
  cfg: KernelConfig,
): U64 {
  const lv = levelOf(desc, level);
  const fmt = lv.formats.find((f) => f.name === format);
  if (!fmt) {
    const names = lv.formats.map((f) => f.name).join(', ');
    throw new VectorFormatError(
      `${level} has no format "${format}" (it has: ${names})`,
      '/args/format',
    );
  }
  const known = new Map(fmt.fields.filter((f) => fieldPresent(f, cfg)).map((f) => [f.name, f]));
  for (const name of given.keys()) {
    if (!known.has(name))
      throw new VectorFormatError(
        `format "${format}" has no field "${name}"`,
        `/args/fields/${name}`,
      );
  }
  let out = fmt.value;
  for (const f of known.values()) {
    const width = f.msb - f.lsb + 1;
    const v = given.get(f.name) ?? 0n;
    if (v > genmask(width - 1, 0)) {
      throw new VectorFormatError(
        `field "${f.name}" is ${width} bits wide; ${v.toString(16)} does not fit`,
        `/args/fields/${f.name}`,
      );
    }
    const stored = f.inverted ? ~v & genmask(width - 1, 0) : v;
    out = (out & ~fieldMask(f)) | (stored << BigInt(f.lsb));
  }
  return out;
}

/**
 * Set the given fields of `format` in `value`, leaving the other bits (the radix builder's leaves and
 * table entries). Hardware fields only matter here, so kernel-config gating does not apply. The entry
 * is built in 32-bit halves (DESIGN.md: hot paths do not compute in bigint); `value` is a 64-bit entry.
 */
export function withFields(
  lv: LevelDesc,
  format: string,
  value: U64,
  given: ReadonlyMap<string, U64>,
  pointer: string,
): U64 {
  const fmt = lv.formats.find((f) => f.name === format);
  if (!fmt) throw new VectorFormatError(`${lv.linux} has no format "${format}"`, pointer);
  const table = placesOf(fmt);
  let lo = Number(value & 0xffffffffn) | 0;
  let hi = Number(value >> 32n) | 0;
  // forEach, not for-of: no [name, value] pair per field.
  given.forEach((v, name) => {
    const p = table.get(name);
    if (!p) {
      const names = fmt.fields.map((x) => x.name).join(', ');
      throw new VectorFormatError(
        `the ${lv.linux} format "${format}" has no field "${name}" (it has: ${names})`,
        `${pointer}/${name}`,
      );
    }
    if (v > p.max)
      throw new VectorFormatError(
        `field "${name}" is ${p.width} bits wide; 0x${v.toString(16)} does not fit`,
        `${pointer}/${name}`,
      );
    if (p.width > 52) {
      // Wider than a double holds exactly: this field in bigint.
      const stored = p.inverted ? ~v & p.max : v;
      const out = (((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) & p.clear) | (stored << p.lsb);
      lo = Number(out & 0xffffffffn) | 0;
      hi = Number(out >> 32n) | 0;
      return;
    }
    // ~v & max is max - v for v <= max.
    const n = p.inverted ? p.maxNumber - Number(v) : Number(v);
    const nlo = n >>> 0;
    const nhi = Math.floor(n / TWO32);
    const s = p.shift;
    const plo = s >= 32 ? 0 : nlo << s;
    const phi = s >= 32 ? nlo << (s - 32) : s === 0 ? nhi : (nhi << s) | (nlo >>> (32 - s));
    lo = (lo & ~p.loMask) | (plo & p.loMask);
    hi = (hi & ~p.hiMask) | (phi & p.hiMask);
  });
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

const TWO32 = 2 ** 32;

/** Where a field of a format goes (computed once per format description). */
interface FieldPlace {
  readonly width: number;
  readonly shift: number;
  /** GENMASK(width - 1, 0): the largest value the field holds, as a bigint and as a number. */
  readonly max: U64;
  readonly maxNumber: number;
  /** ~GENMASK(msb, lsb) and lsb as bigints, for a field wider than 52 bits. */
  readonly clear: U64;
  readonly lsb: U64;
  /** The field's bits in the low and the high half. */
  readonly loMask: number;
  readonly hiMask: number;
  readonly inverted: boolean;
}
const places = new WeakMap<FormatDesc, ReadonlyMap<string, FieldPlace>>();

function placesOf(fmt: FormatDesc): ReadonlyMap<string, FieldPlace> {
  let table = places.get(fmt);
  if (!table) {
    const m = new Map<string, FieldPlace>();
    for (const f of fmt.fields) {
      // The first field of a name wins, as a search by name would find it.
      if (m.has(f.name)) continue;
      const width = f.msb - f.lsb + 1;
      const mask = fieldMask(f);
      m.set(f.name, {
        width,
        shift: f.lsb,
        max: genmask(width - 1, 0),
        maxNumber: Number(genmask(width - 1, 0)),
        clear: ~mask,
        lsb: BigInt(f.lsb),
        loMask: Number(mask & 0xffffffffn) | 0,
        hiMask: Number(mask >> 32n) | 0,
        inverted: f.inverted === true,
      });
    }
    table = m;
    places.set(fmt, table);
  }
  return table;
}
