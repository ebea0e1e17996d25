// The JSON report (schemas/report.schema.json).

import type { RunReport } from '../run.ts';

export function renderJson(report: RunReport): string {
  return JSON.stringify({ formatVersion: 1, ...report }, null, 2) + '\n';
}
