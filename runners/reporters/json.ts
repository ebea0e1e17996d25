// The JSON report (schemas/report.schema.json): its top level indented, each result and each problem
// on one line. Indenting every level would cost two characters per level on each line of a value:
// an implementation's answer may nest 61 levels, and a 4 MiB answer became a 400 MB report.

import type { RunReport } from '../run.ts';

/**
 * The JSON report in pieces of about `chunk` characters, each ending after a whole result or problem:
 * a report of millions of results is longer than a string can be (2^29 - 24 characters), so it is
 * written piece by piece.
 */
export function* jsonReportParts(report: RunReport, chunk = 1 << 20): Generator<string> {
  const { results, problems, ...head } = { formatVersion: 1, ...report };
  let part = '{\n';
  for (const [k, v] of Object.entries(head))
    if (v !== undefined) part += `  ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`;
  const lists = [
    ['results', results],
    ['problems', problems],
  ] as const;
  for (const [n, [name, items]] of lists.entries()) {
    part += `  "${name}": [`;
    for (let i = 0; i < items.length; i++) {
      part += `${i ? ',' : ''}\n    ${JSON.stringify(items[i])}`;
      if (part.length >= chunk) {
        yield part;
        part = '';
      }
    }
    part += `${items.length ? '\n  ' : ''}]${n < lists.length - 1 ? ',' : ''}\n`;
  }
  yield `${part}}\n`;
}

export function renderJson(report: RunReport): string {
  return [...jsonReportParts(report)].join('');
}
