// What each bitwise operator becomes in a mutant (scripts/mutation-bits-instrument.ts writes the
// switch, scripts/mutation-worker.ts evaluates it).
export const SWAP: Readonly<Record<string, string>> = {
  '&': '|',
  '|': '&',
  '^': '|',
  '<<': '>>',
  '>>': '<<',
  '>>>': '>>',
};
