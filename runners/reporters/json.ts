// The JSON report (schemas/report.schema.json).

import type { RunReport } from '../run.ts';

export function renderJson(report: RunReport): string {
  const results = report.results.map((r) => {
    const { description: _d, ...rest } = r;
    return rest;
  });
  return JSON.stringify({ formatVersion: 1, ...report, results }, null, 2) + '\n';
}
