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
