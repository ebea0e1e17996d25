// One report in any of the formats `ptvec run --reporter NAME` writes.

import type { RunReport } from '../run.ts';
import { renderHtml } from './html.ts';
import { jsonReportParts, renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { PLAIN, renderPretty, type Style } from './pretty.ts';
import { renderTap } from './tap.ts';

import type { ReporterName } from './names.ts';

export { REPORTERS, type ReporterName } from './names.ts';

/** The report as `--reporter name` writes it; `style` colours the pretty one (default: none). */
export function render(report: RunReport, name: ReporterName, style: Style = PLAIN): string {
  switch (name) {
    case 'pretty':
      return renderPretty(report, style);
    case 'json':
      return renderJson(report);
    case 'junit':
      return renderJunit(report);
    case 'tap':
      return renderTap(report);
    case 'html':
      return renderHtml(report);
  }
}

/**
 * The same, in pieces to write one after the other: the JSON report may be longer than a string.
 * Nothing is rendered before the first piece is asked for, so that the writer sees a failure to
 * render (a report too long for a string) as its own and the other reports are still written.
 */
export function* renderParts(
  report: RunReport,
  name: ReporterName,
  style: Style = PLAIN,
): Iterable<string> {
  if (name === 'json') yield* jsonReportParts(report);
  else yield render(report, name, style);
}
