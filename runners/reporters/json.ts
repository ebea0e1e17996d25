// The JSON report (schemas/report.schema.json): its top level indented, each result and each problem
// on one line. Indenting every level would cost two characters per level on each line of a value:
// an implementation's answer may nest 61 levels, and a 4 MiB answer became a 400 MB report.

import type { RunReport } from '../run.ts';

const list = (items: readonly unknown[]): string =>
  items.length ? `[\n    ${items.map((x) => JSON.stringify(x)).join(',\n    ')}\n  ]` : '[]';

export function renderJson(report: RunReport): string {
  const { results, problems, ...head } = { formatVersion: 1, ...report };
  const top = Object.entries(head)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n${[...top, `  "results": ${list(results)}`, `  "problems": ${list(problems)}`].join(',\n')}\n}\n`;
}
