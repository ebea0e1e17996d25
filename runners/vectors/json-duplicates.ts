// The members of JSON text that an object has twice. JSON.parse keeps the last one silently, so a
// step with two `expect` members loses the first expectation; `ptvec lint` warns of each.

import { pointerToken } from './semantics.ts';

/** A key that an object of the text holds twice, with the JSON pointer of its (kept) member. */
export interface DuplicateKey {
  readonly pointer: string;
  readonly key: string;
}

interface Frame {
  /** The frame of the value holding this one, and this one's key or index there. */
  readonly parent: Frame | undefined;
  readonly inParent: string;
  /** The keys seen so far (a Set past a few, so that a huge object costs linear time); undefined
   * for an array. */
  keys: string[] | Set<string> | undefined;
  /** The current member's key, or the current element's index. */
  at: string;
  index: number;
  expectKey: boolean;
}

/** The JSON pointer of a frame's value, made only for a duplicate found. */
function pointerOf(f: Frame | undefined): string {
  const parts: string[] = [];
  for (let x = f; x?.parent; x = x.parent) parts.push(pointerToken(x.inParent));
  return parts
    .reverse()
    .map((p) => `/${p}`)
    .join('');
}

const QUOTE = 0x22;
/** Keys kept in an array up to this many: most objects have a few. */
const SMALL = 16;
const BACKSLASH = 0x5c;

/**
 * The duplicate keys of `text`, which JSON.parse has accepted, in document order (at most `max`). One
 * pass over the text, no recursion: a file nests as deep as JSON.parse allowed.
 */
export function duplicateKeys(text: string, max = 10): DuplicateKey[] {
  const out: DuplicateKey[] = [];
  const stack: Frame[] = [];
  for (let i = 0; i < text.length && out.length < max; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      const parent = stack[stack.length - 1];
      stack.push({
        parent,
        inParent: parent === undefined ? '' : parent.keys ? parent.at : String(parent.index),
        keys: c === 0x7b ? [] : undefined,
        at: '',
        index: 0,
        expectKey: c === 0x7b,
      });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top) top.index++;
    } else if (c === QUOTE) {
      // The string's end: the next quote not escaped by an odd run of backslashes.
      let j = i + 1;
      for (;;) {
        j = text.indexOf('"', j);
        let k = j - 1;
        while (text.charCodeAt(k) === BACKSLASH) k--;
        if ((j - 1 - k) % 2 === 0) break;
        j++;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, j);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        const keys = top.keys;
        if (Array.isArray(keys) ? keys.includes(key) : keys.has(key))
          out.push({ pointer: `${pointerOf(top)}/${pointerToken(key)}`, key });
        else if (Array.isArray(keys) && keys.length < SMALL) keys.push(key);
        else if (Array.isArray(keys)) top.keys = new Set([...keys, key]);
        else keys.add(key);
        top.at = key;
        top.expectKey = false;
      }
      i = j;
    }
  }
  return out;
}
