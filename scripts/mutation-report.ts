// The per-file result of a mutation run (a Stryker JSON report, mutation-testing-report-schema),
// with the survivors that mutation/equivalent/ explains set apart from the gaps.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Position {
  readonly line: number;
  readonly column: number;
}
interface ReportMutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly location: { readonly start: Position; readonly end: Position };
  readonly status: string;
}
export interface Report {
  readonly files: Readonly<
    Record<string, { readonly source: string; readonly mutants: readonly ReportMutant[] }>
  >;
}
/**
 * A survivor no vector can kill, and why (mutation/equivalent/): one mutant by its file, mutator,
 * the start of its original and replacement text and, where that is not unique, `context`, a text
 * its line contains; or a kind of mutant, with `file` or `mutator` "*" and the texts left out.
 */
export interface Equivalent {
  readonly file: string;
  readonly mutator: string;
  readonly original?: string;
  readonly replacement?: string;
  readonly context?: string;
  readonly reason: string;
}
export interface Survivor {
  readonly file: string;
  readonly line: number;
  readonly mutator: string;
  readonly original: string;
  readonly replacement: string;
  readonly status: string;
}
export interface FileRow {
  readonly file: string;
  readonly mutants: number;
  readonly killed: number;
  readonly equivalent: number;
  /** Survived or not covered by any vector, and not explained. */
  readonly gaps: readonly Survivor[];
}

/** Stryker's detected states; RuntimeError (the mutated engine throws) is a vector failing too. */
const DETECTED = new Set(['Killed', 'Timeout', 'RuntimeError']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

function textAt(source: string, m: Pick<ReportMutant, 'location'>): string {
  const lines = source.split('\n');
  const { start, end } = m.location;
  if (start.line === end.line)
    return lines[start.line - 1]!.slice(start.column - 1, end.column - 1);
  return [
    lines[start.line - 1]!.slice(start.column - 1),
    ...lines.slice(start.line, end.line - 1),
    lines[end.line - 1]!.slice(0, end.column - 1),
  ].join('\n');
}

/**
 * mutation/equivalent/: one file per source file (`machine/tlb.json` for src/machine/tlb.ts), whose
 * entries name that file, and `all-files.json` for the kinds of mutant that hold in every file.
 */
export function loadEquivalents(dir: string): Equivalent[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      const entries = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Equivalent[];
      const source = f === 'all-files.json' ? '*' : `src/${f.replace(/\.json$/, '.ts')}`;
      // An entry's context is text of its file's source: one the source no longer holds matches
      // nothing and only hides that it went stale.
      const text = source === '*' ? '' : readFileSync(join(dir, '..', '..', source), 'utf8');
      entries.forEach((e, i) => {
        if (e.file !== source)
          throw new Error(`${join(dir, f)}: /${i}/file is ${e.file}, expected ${source}`);
        if (source !== '*' && e.context !== undefined && !text.includes(e.context))
          throw new Error(`${join(dir, f)}: /${i}/context is no longer in ${source}: ${e.context}`);
      });
      return entries;
    });
}

/** Whether mutation/equivalent/ lists the mutant `m` of `file` (whose text is `source`). */
export function isEquivalent(
  equivalents: readonly Equivalent[],
  file: string,
  source: string,
  m: Pick<ReportMutant, 'mutatorName' | 'replacement' | 'location'>,
): boolean {
  const original = textAt(source, m);
  const replacement = m.replacement ?? '';
  const line = source.split('\n')[m.location.start.line - 1] ?? '';
  // By the start of the first line of each side: a block's whole text would not survive an edit
  // inside it (a listed text may end in … where it was cut).
  const first = (t: string) => t.split('\n')[0]!.trim().replace(/…$/, '');
  return equivalents.some(
    (e) =>
      (e.file === file || e.file === '*') &&
      (e.mutator === m.mutatorName || e.mutator === '*') &&
      (e.original === undefined || first(original).startsWith(first(e.original))) &&
      (e.replacement === undefined || first(replacement).startsWith(first(e.replacement))) &&
      (e.context === undefined || line.includes(e.context)),
  );
}

export function classify(report: Report, equivalentsDir: string): FileRow[] {
  const equivalents = loadEquivalents(equivalentsDir);
  return Object.entries(report.files)
    .map(([file, f]) => {
      let killed = 0;
      let equivalent = 0;
      const gaps: Survivor[] = [];
      let mutants = 0;
      for (const m of f.mutants) {
        if (DETECTED.has(m.status)) killed++;
        else if (!UNDETECTED.has(m.status)) continue; // Ignored, CompileError: not a mutant of the engine
        mutants++;
        if (DETECTED.has(m.status)) continue;
        const s: Survivor = {
          file,
          line: m.location.start.line,
          mutator: m.mutatorName,
          original: textAt(f.source, m),
          replacement: m.replacement ?? '',
          status: m.status,
        };
        if (isEquivalent(equivalents, file, f.source, m)) equivalent++;
        else gaps.push(s);
      }
      return { file, mutants, killed, equivalent, gaps };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

const pct = (n: number, d: number) => (d === 0 ? '100.0' : ((100 * n) / d).toFixed(1));

export function renderTable(rows: readonly FileRow[], took: string): string {
  const sum = (k: 'mutants' | 'killed' | 'equivalent') => rows.reduce((n, r) => n + r[k], 0);
  const gaps = rows.flatMap((r) => r.gaps);
  const out = [
    '# Mutation testing: what the vectors alone catch',
    '',
    `Generated by \`npm run mutation -- --write\` (${took}). Score: killed / (mutants - equivalent).`,
    '',
    '| file | mutants | killed | equivalent | survived | score |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.file} | ${r.mutants} | ${r.killed} | ${r.equivalent} | ${r.gaps.length} | ${pct(r.killed, r.mutants - r.equivalent)}% |`,
    ),
    `| **all** | ${sum('mutants')} | ${sum('killed')} | ${sum('equivalent')} | ${gaps.length} | ${pct(sum('killed'), sum('mutants') - sum('equivalent'))}% |`,
    '',
    '## Survivors that are gaps',
    '',
    ...gaps.map(
      (g) =>
        `- ${g.file}:${g.line} ${g.mutator}: \`${g.original.split('\n')[0]}\` → \`${g.replacement.split('\n')[0]}\`${g.status === 'NoCoverage' ? ' (no vector reaches it)' : ''}`,
    ),
    '',
  ];
  return out.join('\n');
}
