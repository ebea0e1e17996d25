// Values from a user's file or an implementation, quoted in a message: never more than a line.

const LIMIT = 120;

/** A count and its noun, singular for one: "1 vector", "2 vectors". */
export const counted = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** A string of at most `limit` characters, its length said when it was cut. */
export function shorten(s: string, limit = LIMIT): string {
  if (s.length <= limit) return s;
  // A copy, not a slice: V8 would keep the whole long string alive behind a slice of it.
  const head = Buffer.from(s.slice(0, limit), 'utf16le').toString('utf16le');
  return `${head}... (${s.length} characters)`;
}

/** JSON for a value, cut to a readable length. */
export function quote(v: unknown, limit = LIMIT): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return shorten(s, limit);
}

/** Edits (insert, delete, replace, swap two neighbours) from a to b. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      const up = d[i - 1]!;
      row[j] = Math.min(up[j]! + 1, row[j - 1]! + 1, up[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The one of `names` that `given` is most likely a typo of (at most two edits), or undefined. */
export function closest(given: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let least = 3;
  for (const n of names) {
    const k = distance(given, n);
    if (k < least && k < n.length / 2) [best, least] = [n, k];
  }
  return best;
}
