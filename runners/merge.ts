// `ptvec merge`: the JSON reports of the shards of one run joined into the report that the
// unsharded run gives (DESIGN.md "The command line").

import { displayPath, readJsonInput, realFile } from './paths.ts';
import { retained, sortProblems, summarize, type ResultEntry, type RunReport } from './run.ts';
import type { Problem } from './vectors/files.ts';
import { schemaProblems, validator } from './vectors/schemas.ts';

export interface Merged {
  readonly report?: RunReport;
  /** Why the inputs cannot be merged (unreadable, invalid, from different runs). */
  readonly problems: readonly Problem[];
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const problemKey = (p: Problem) => JSON.stringify([p.file, p.pointer, p.message, p.severity]);

export function mergeReports(paths: readonly string[]): Merged {
  const problems: Problem[] = [];
  const reports: { file: string; r: RunReport }[] = [];
  const validate = validator('report.schema.json');
  const given = new Set<string>();
  for (const path of paths) {
    const file = displayPath(path);
    const real = realFile(path);
    if (given.has(real)) {
      problems.push({ file, pointer: '', message: 'this report is given twice' });
      continue;
    }
    given.add(real);
    const read = readJsonInput(path, 'a report');
    if (!read.ok) {
      problems.push({ file, pointer: '', message: read.message });
      continue;
    }
    const data = read.data;
    if (!validate(data)) {
      for (const p of schemaProblems(validate).slice(0, 3)) problems.push({ file, ...p });
      continue;
    }
    reports.push({ file, r: data as RunReport });
  }
  if (problems.length || !reports.length) {
    if (!reports.length && !problems.length)
      problems.push({ file: '', pointer: '', message: 'no reports to merge' });
    return { problems };
  }
  const first = reports[0] as { file: string; r: RunReport };
  const same = (r: RunReport) =>
    JSON.stringify([r.tool, r.implementation]) ===
    JSON.stringify([first.r.tool, first.r.implementation]);
  const filters = (r: RunReport) =>
    Object.entries(r.filters ?? {})
      .flatMap(([k, vs]) => vs.map((v) => `--${k} ${v}`))
      .join(' ') || 'no filters';
  for (const { file, r } of reports)
    if (!same(r))
      problems.push({
        file,
        pointer: '/implementation',
        message: `from another run: ${r.implementation.name} with ptvec ${r.tool.version}, while ${first.file} is ${first.r.implementation.name} with ptvec ${first.r.tool.version}`,
      });
    else if (filters(r) !== filters(first.r))
      problems.push({
        file,
        pointer: '/filters',
        message: `from a run with other filters: ${filters(r)}, while ${first.file} has ${filters(first.r)}`,
      });
  const seen = new Map<string, string>();
  const results: ResultEntry[] = [];
  for (const { file, r } of reports) {
    // One problem for each other report this one overlaps, at its first vector found there too.
    const overlaps = new Map<string, { at: number; id: string; n: number }>();
    for (const [i, x] of r.results.entries()) {
      const other = seen.get(x.id);
      if (other !== undefined) {
        const o = overlaps.get(other);
        if (o) o.n++;
        else overlaps.set(other, { at: i, id: x.id, n: 1 });
        continue;
      }
      seen.set(x.id, file);
      results.push(x);
    }
    for (const [other, o] of overlaps)
      problems.push({
        file,
        pointer: `/results/${o.at}`,
        message: `${o.n === 1 ? 'the vector' : `${o.n} vectors, the first`} ${o.id}${o.n === 1 ? ' is' : ', are'} also in ${other}: the shards overlap`,
      });
  }
  // Every shard of the same N must be there, once.
  const shards = reports.map((x) => x.r.shard);
  const counts = new Set(shards.map((s) => s?.split('/')[1]));
  if (shards.some((s) => s === undefined) && reports.length > 1)
    problems.push({
      file: '',
      pointer: '',
      message: 'an unsharded report cannot be merged with others',
    });
  else if (counts.size > 1)
    problems.push({
      file: '',
      pointer: '',
      message: `shards of different counts: ${[...counts].join(', ')}`,
    });
  else if (shards[0] !== undefined) {
    // Said as ranges, from the shards given: N comes from a file, and may be 10^9.
    const n = Number(shards[0].split('/')[1]);
    const given = [...new Set(shards.map((s) => Number(s?.split('/')[0])))]
      .filter((i) => i <= n)
      .sort((a, b) => a - b);
    let next = 1;
    for (const i of [...given, n + 1]) {
      if (i > next) {
        const which = i - 1 === next ? `shard ${next}/${n}` : `shards ${next}-${i - 1} of ${n}`;
        problems.push({
          file: '',
          pointer: '',
          message: `${which} ${i - 1 === next ? 'is' : 'are'} missing`,
        });
      }
      next = i + 1;
    }
  }
  if (problems.length) return { problems };
  const dedup = new Map<string, Problem>();
  for (const { r } of reports) for (const p of r.problems) dedup.set(problemKey(p), p);
  const merged = [...dedup.values()];
  results.sort(byId);
  return {
    problems: [],
    report: {
      tool: first.r.tool,
      implementation: first.r.implementation,
      ...stoppedOf(reports.map(({ r }) => r)),
      summary: summarize(results, merged.length),
      results: retained(results),
      problems: sortProblems(merged),
    },
  };
}

/** A merge of shards of which one ended early ended early: the first such shard's reason. */
function stoppedOf(reports: readonly RunReport[]): { stopped?: string } {
  const stopped = reports.find((r) => r.stopped !== undefined)?.stopped;
  return stopped === undefined ? {} : { stopped };
}
