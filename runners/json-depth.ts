// JSON text's nesting, measured before it is parsed: the reporters, the comparer and JSON.stringify
// recurse over what they are given, so what comes from outside is bounded in depth first.

/** The deepest nesting of arrays and objects in JSON text, in one pass that skips strings. Not a
 * validator: on text that is not JSON the answer is only an estimate. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
