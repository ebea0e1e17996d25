// Physical memory: sparse 4 KiB frames in one growable Uint32Array (DESIGN.md "The machine"). A
// 64-bit word is two little-endian 32-bit halves; walks read halves as numbers, the API reads and
// writes bigint. Physical addresses are numbers here: every PA the model allows is below 2^52, exact
// in a double, and `pa & 4095` is exact because ToInt32 keeps the low bits.

import { VectorFormatError } from '../errors.ts';

const FRAME = 4096;
const WORDS = FRAME / 4;
/** Most vectors touch a handful of frames: storage and cache start small (a vector allocates both). */
const FIRST_FRAMES = 4;
const FIRST_CACHE = 64;
const MAX_CACHE = 1024;
/** Storage doubles while small, then grows by a quarter (bench: heap for 262,144 PTEs within 1.25x of the tables' size). */
const GROWTH = 1.25;
const DOUBLE_BELOW = 64;

/**
 * Zeroed storage and caches of released memories (PhysMemory.release), for the next ones: a vector's
 * memory lives for one run, and allocating typed arrays for each vector cost more than its walks.
 */
const spare: { words: Uint32Array; frame: Float64Array; slot: Int32Array }[] = [];
const MAX_SPARE = 16;
const MAX_SPARE_FRAMES = 16;
const RELEASED = new Uint32Array(0);
const RELEASED_FRAMES = new Float64Array(0);
const RELEASED_SLOTS = new Int32Array(0);

export class PhysMemory {
  readonly base: number;
  readonly end: number;
  /** Frame storage: slot s holds words [s*1024, s*1024+1024). Replaced when it grows. */
  words: Uint32Array;
  private readonly slots = new Map<number, number>();
  private used = 0;
  // A direct-mapped cache of frame -> slot in front of the Map, for the walks: entry c holds frame + 1
  // (0: empty) and its slot. It doubles, emptied, while it has fewer entries than twice the frames.
  private cachedFrame: Float64Array;
  private cachedSlot: Int32Array;
  private cacheMask = FIRST_CACHE - 1;

  constructor(base: number, size: number) {
    this.base = base;
    this.end = base + size;
    const s = spare.pop();
    this.words = s?.words ?? new Uint32Array(FIRST_FRAMES * WORDS);
    this.cachedFrame = s?.frame ?? new Float64Array(FIRST_CACHE);
    this.cachedSlot = s?.slot ?? new Int32Array(FIRST_CACHE);
  }

  /**
   * The run is over: the storage goes back, zeroed, for the next memory; this one is not used again
   * (it keeps no array of the pool, so a second release gives nothing back).
   */
  release(): void {
    if (
      spare.length < MAX_SPARE &&
      this.words.length <= MAX_SPARE_FRAMES * WORDS &&
      this.cachedFrame.length === FIRST_CACHE
    ) {
      this.words.fill(0, 0, this.used * WORDS);
      this.cachedFrame.fill(0);
      spare.push({ words: this.words, frame: this.cachedFrame, slot: this.cachedSlot });
    }
    this.words = RELEASED;
    this.cachedFrame = RELEASED_FRAMES;
    this.cachedSlot = RELEASED_SLOTS;
  }

  contains(pa: number, len = 1): boolean {
    return pa >= this.base && pa + len <= this.end;
  }

  /** Frames that hold any written data. */
  get frames(): number {
    return this.used;
  }

  private slot(frame: number, create: boolean): number {
    const c = frame & this.cacheMask;
    if (this.cachedFrame[c] === frame + 1) return this.cachedSlot[c]!;
    let s = this.slots.get(frame);
    if (s === undefined) {
      if (!create) return -1;
      s = this.used++;
      if (this.used * WORDS > this.words.length) {
        const grown = new Uint32Array(
          Math.ceil(this.used * (this.used < DOUBLE_BELOW ? 2 : GROWTH)) * WORDS,
        );
        grown.set(this.words);
        this.words = grown;
      }
      this.slots.set(frame, s);
      if (this.used * 2 > this.cachedFrame.length && this.cachedFrame.length < MAX_CACHE) {
        this.cachedFrame = new Float64Array(this.cachedFrame.length * 2);
        this.cachedSlot = new Int32Array(this.cachedFrame.length);
        this.cacheMask = this.cachedFrame.length - 1;
      }
    }
    const k = frame & this.cacheMask;
    this.cachedFrame[k] = frame + 1;
    this.cachedSlot[k] = s;
    return s;
  }

  /** Index in `words` of the low half of the word at `pa`, or -1 where nothing was ever written. */
  index(pa: number): number {
    const frame = Math.floor(pa / FRAME);
    const c = frame & this.cacheMask;
    const s = this.cachedFrame[c] === frame + 1 ? this.cachedSlot[c]! : this.slot(frame, false);
    return s < 0 ? -1 : s * WORDS + ((pa & (FRAME - 1)) >>> 2);
  }

  /** The 32-bit word at `pa` (4-byte aligned); unwritten memory reads as zero. */
  lo(pa: number): number {
    const i = this.index(pa);
    return i < 0 ? 0 : this.words[i]!;
  }
  hi(pa: number): number {
    return this.lo(pa + 4);
  }

  writeHalves(pa: number, lo: number, hi: number): void {
    const i = this.slot(Math.floor(pa / FRAME), true) * WORDS + ((pa & (FRAME - 1)) >>> 2);
    this.words[i] = lo;
    this.words[i + 1] = hi;
  }

  read64(pa: number): bigint {
    const hi = this.hi(pa);
    return hi === 0 ? BigInt(this.lo(pa)) : (BigInt(hi) << 32n) | BigInt(this.lo(pa));
  }
  write64(pa: number, v: bigint): void {
    this.writeHalves(pa, Number(v & 0xffffffffn), Number((v >> 32n) & 0xffffffffn));
  }
}

const PA_LIMIT = 1n << 52n;

/** A bigint PA or size as a number, or a format error (the model's addresses are below 2^52). */
export function paNumber(v: bigint, pointer: string): number {
  if (v >= PA_LIMIT)
    throw new VectorFormatError(`address ${v.toString(16)} is beyond 2^52`, pointer);
  return Number(v);
}
