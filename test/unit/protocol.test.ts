// The protocol path (docs/protocol.md): a scripted implementation that misbehaves in every way
// the runner must survive, negotiation and skips, and `ptvec serve` giving the in-process verdicts
// over the whole corpus.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toInput } from '../../runners/adapter.ts';
import { referenceImplementation } from '../../runners/adapters/reference.ts';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { execImplementation, type ExecOptions } from '../../runners/protocol/client.ts';
import { splitCommandLine } from '../../runners/protocol/command-line.ts';
import { vectorLine } from '../../runners/protocol/messages.ts';
import { execute, type RunReport } from '../../runners/run.ts';
import { run as runFiles } from '../../runners/run-vectors.ts';
import type { Selection } from '../../runners/select.ts';
import { loadVectors } from '../../runners/load.ts';
import { tmp, vectorFile, writeJson } from './helpers.ts';

const FAKE = join(PACKAGE_ROOT, 'test/fixtures/misbehaving-impl.mjs');
const ALL: Selection = { arch: [], mode: [], family: [], tag: [], grep: [] };

const dirty = (c: string, pte = '0x0000000000000067', op = 'pte_dirty') => ({
  id: `x86_64/pte/t/${c}`,
  description: `case ${c}`,
  steps: [{ op, args: { pte }, expect: { result: (BigInt(pte) & 0x40n) !== 0n } }],
});

const MISBEHAVIOURS = {
  crash: /killed by SIGSEGV.*simulated segfault/,
  hang: /no answer within 400 ms/,
  garbage: /garbage on stdout: "DEBUG: walking the tables" is not JSON/,
  oversized: /a line on stdout longer than 8388608 bytes/,
  'wrong-id': /answered an unknown id "x86_64\/pte\/t\/no-such-vector"/,
  duplicate: /answered the vector "x86_64\/pte\/t\/duplicate" twice/,
  'early-exit': /exited with status 0/,
  error: /^the implementation reported: setup not understood$/,
  steps: /^implementation answered 0 step\(s\) for 1$/,
} as const;

/** A corpus of the fake's cases, innocent vectors between them, and vectors it must skip. */
function corpus(): string {
  const dir = tmp();
  const cases = [
    ...Object.keys(MISBEHAVIOURS),
    'stderr',
    'wrong',
    ...Array.from({ length: 24 }, (_, i) => `ok-${String(i).padStart(2, '0')}`),
  ];
  writeJson(
    dir,
    'fake.json',
    vectorFile([
      ...cases.map((c, i) => dirty(c, i % 2 ? '0x0000000000000067' : '0x0000000000000027')),
      dirty('young', '0x0000000000000067', 'pte_young'),
      {
        ...dirty('mkdirty'),
        steps: [
          {
            op: 'pte_mkdirty',
            args: { pte: '0x0000000000000027' },
            expect: { result: '0x0000000000000867' },
          },
        ],
      },
      { ...dirty('no-soft-dirty'), config: { CONFIG_MEM_SOFT_DIRTY: false } },
      { ...dirty('5level'), mode: '5level' },
      {
        ...dirty('by-choice'),
        steps: [
          {
            op: 'pte_dirty',
            args: { pte: '0x0000000000000067' },
            expect: { byChoice: { choice: 'dirtyBit', cases: { six: { result: true } } } },
          },
        ],
      },
      {
        ...dirty('undeclared-choice'),
        steps: [
          {
            op: 'pte_dirty',
            args: { pte: '0x0000000000000067' },
            expect: { byChoice: { choice: 'other', cases: { x: { result: true } } } },
          },
        ],
      },
    ]),
  );
  writeJson(
    dir,
    'riscv.json',
    vectorFile(
      [
        {
          ...dirty('riscv'),
          id: 'riscv64/pte/t/riscv',
          steps: [
            { op: 'pte_dirty', args: { pte: '0x0000000000000087' }, expect: { result: true } },
          ],
        },
      ],
      {
        defaults: { arch: 'riscv64', mode: 'sv39' },
        refs: ['linux-v6.19 arch/riscv/include/asm/pgtable.h:430 pte_dirty'],
      },
    ),
  );
  return dir;
}

async function run(dir: string, over: Partial<ExecOptions> = {}, env: Record<string, string> = {}) {
  const log = join(tmp(), 'starts.log');
  Object.assign(process.env, { PTVEC_FAKE_LOG: log, ...env });
  const impl = await execImplementation({ argv: ['node', FAKE], timeoutMs: 400, jobs: 1, ...over });
  try {
    const report = await execute(impl, loadVectors([dir]), { selection: ALL });
    let starts = 0;
    try {
      starts = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    } catch {
      starts = 0;
    }
    return { report, starts };
  } finally {
    await impl.close();
  }
}

const verdicts = (r: RunReport): Record<string, [string, string]> =>
  Object.fromEntries(r.results.map((x) => [x.id.split('/').pop(), [x.verdict, x.reason ?? '']]));

describe('ptvec run --exec with an implementation that misbehaves', () => {
  const dir = corpus();
  const selected = loadVectors([dir]).vectors.length;

  it.each([1, 3])(
    'gives every vector exactly one verdict, errors only the guilty ones (--jobs %i)',
    async (jobs) => {
      const { report, starts } = await run(dir, { jobs });
      expect(report.results.length).toBe(selected);
      expect(new Set(report.results.map((r) => r.id)).size).toBe(selected);
      const v = verdicts(report);
      for (const [c, reason] of Object.entries(MISBEHAVIOURS)) {
        expect(v[c]?.[0], c).toBe('error');
        expect(v[c]?.[1], c).toMatch(reason);
      }
      // Innocent vectors that were in flight when the process failed are re-run alone and pass.
      for (const [c, [verdict]] of Object.entries(v))
        if (c.startsWith('ok-')) expect(verdict, c).toBe('pass');
      expect(v.stderr).toEqual(['pass', '']);
      expect(v.wrong?.[0]).toBe('fail');
      expect(v.young).toEqual(['skip', 'pte_young is not implemented here']);
      expect(v.mkdirty).toEqual(['skip', 'op pte_mkdirty is not declared']);
      expect(v['no-soft-dirty']).toEqual([
        'skip',
        'config CONFIG_MEM_SOFT_DIRTY=false is not honoured',
      ]);
      expect(v['5level']).toEqual(['skip', 'not declared: x86_64 5level']);
      expect(v.riscv).toEqual(['skip', 'not declared: riscv64']);
      expect(v['by-choice']).toEqual(['pass', '']);
      expect(v['undeclared-choice']).toEqual([
        'skip',
        'implementation does not declare the choice "other"',
      ]);
      expect(report.summary.errors).toBe(Object.keys(MISBEHAVIOURS).length);
      // One start, plus a restart for each process that had to be killed or exited.
      expect(starts).toBeGreaterThanOrEqual(1 + 7);
      // The choices its hello declared are in the report.
      expect(report.implementation).toEqual({
        name: 'misbehaving',
        version: '1',
        choices: { dirtyBit: 'six' },
      });
    },
    60_000,
  );

  it.each([
    ['none', /did not start: it exited with status 3/],
    ['garbage', /did not start: garbage on stdout: "Starting up\.\.\." is not JSON/],
    ['version2', /did not start: the implementation chose protocol 2; this runner speaks 1/],
    ['silent', /did not start: no hello within 300 ms/],
  ])('turns a failed hello (%s) into an error for every selected vector', async (mode, reason) => {
    const { report } = await run(dir, {
      argv: ['node', FAKE, `--hello=${mode}`],
      helloTimeoutMs: 300,
    });
    expect(report.results.length).toBe(selected);
    for (const r of report.results) {
      expect(r.verdict).toBe('error');
      expect(r.reason).toMatch(reason);
    }
  });

  it('reports a program that cannot be spawned', async () => {
    const { report } = await run(dir, { argv: ['/nonexistent/impl'] });
    expect(
      report.results.every(
        (r) =>
          r.verdict === 'error' &&
          /did not start: it could not be started: spawn \/nonexistent\/impl ENOENT/.test(
            r.reason ?? '',
          ),
      ),
    ).toBe(true);
  });

  it('exits 1 from the command line, with the report written', () => {
    const out = join(tmp(), 'r.json');
    const r = spawnSync(
      process.execPath,
      [
        'bin/ptvec.js',
        'run',
        dir,
        '--exec',
        `node '${FAKE}'`,
        '--timeout',
        '400',
        '--reporter',
        `json=${out}`,
      ],
      { cwd: PACKAGE_ROOT, encoding: 'utf8' },
    );
    expect(r.status).toBe(1);
    const report = JSON.parse(readFileSync(out, 'utf8')) as RunReport;
    expect(report.summary.total).toBe(selected);
    expect(report.results.find((x) => x.id.endsWith('/crash'))?.steps?.[0]).toEqual({
      op: 'pte_dirty',
      args: { pte: expect.any(String) },
      expect: { result: expect.any(Boolean) },
    });
  });
});

/** The corpus again, each vector in a file of its own: a streamed run hands them over one by one. */
function oneFileEach(dir: string): string {
  const out = tmp();
  for (const name of ['fake.json', 'riscv.json']) {
    const data = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { vectors: unknown[] };
    data.vectors.forEach((v, i) =>
      writeJson(out, `${name.replace('.json', '')}-${String(i).padStart(2, '0')}.json`, {
        ...data,
        vectors: [v],
      }),
    );
  }
  return out;
}

describe('ptvec run --exec, streamed a file at a time', () => {
  const dir = corpus();
  const split = oneFileEach(dir);
  it.each([1, 3])(
    'gives the verdicts of a run of the loaded vectors (--jobs %i)',
    async (jobs) => {
      const whole = await run(dir, { jobs });
      const impl = await execImplementation({ argv: ['node', FAKE], timeoutMs: 400, jobs });
      try {
        const streamed = await runFiles(impl, { vectors: [split] });
        expect(streamed.results.length).toBe(whole.report.results.length);
        expect(verdicts(streamed)).toEqual(verdicts(whole.report));
        expect(streamed.summary).toEqual(whole.report.summary);
      } finally {
        await impl.close();
      }
    },
    60_000,
  );

  it('starts no process the vectors do not need: --jobs 4 over two vectors starts one', async () => {
    const two = tmp();
    writeJson(two, 'two.json', vectorFile([dirty('ok-a'), dirty('ok-b')]));
    const { report, starts } = await run(two, { jobs: 4 });
    expect(report.summary.passed).toBe(2);
    expect(starts).toBe(1);
  });

  it('keeps its processes for vectors added after the earlier ones were all answered', async () => {
    const ok = loadVectors([dir])
      .vectors.filter((v) => /\/ok-0[0-5]$/.test(v.id))
      .map(toInput);
    const impl = await execImplementation({ argv: ['node', FAKE], timeoutMs: 4000, jobs: 2 });
    try {
      const got: [number, string][] = [];
      const s = impl.stream!((i, o) => got.push([i, o.kind]));
      s.add(ok.slice(0, 3));
      for (let t = 0; got.length < 3 && t < 500; t++) await new Promise((r) => setTimeout(r, 10));
      s.add(ok.slice(3));
      await s.end();
      expect(got.sort((a, b) => a[0] - b[0])).toEqual(ok.map((_, i) => [i, 'observed']));
    } finally {
      await impl.close();
    }
  });
});

describe('--exec command lines', () => {
  it.each([
    [`node 'a b.mjs' --x="1 2" c\\ d`, ['node', 'a b.mjs', '--x=1 2', 'c d']],
    [`npx ptvec serve`, ['npx', 'ptvec', 'serve']],
    [`sh -c 'echo $HOME'`, ['sh', '-c', 'echo $HOME']],
    [`a "b\\"c" ''`, ['a', 'b"c', '']],
  ])('splits %s without a shell', (line, argv) => {
    expect(splitCommandLine(line)).toEqual(argv);
  });
  it.each([`a 'b`, `a "b`, 'a \\', '  '])('rejects %j', (line) => {
    expect(splitCommandLine(line)).toHaveProperty('error');
  });
});

describe('ptvec serve', () => {
  it('gives the verdicts of the in-process run over the whole corpus (npx ptvec serve)', async () => {
    const loaded = loadVectors([]);
    const inProcess = await execute(referenceImplementation(), loaded, { selection: ALL });
    const impl = await execImplementation({
      argv: ['npx', 'ptvec', 'serve'],
      timeoutMs: 30_000,
      jobs: 2,
    });
    try {
      const served = await execute(impl, loaded, { selection: ALL });
      expect(served.results.length).toBe(inProcess.results.length);
      expect(served.results).toEqual(inProcess.results);
      expect(served.summary).toEqual(inProcess.summary);
      expect(served.summary.passed).toBe(loaded.vectors.length);
    } finally {
      await impl.close();
    }
  }, 120_000);

  it('answers a hand-written session, filling in a partial config', () => {
    const input =
      [
        { type: 'hello', protocols: [1], runner: { name: 'me', version: '0' } },
        {
          type: 'vector',
          id: 't',
          family: 'pte',
          arch: 'x86_64',
          mode: '4level',
          config: {},
          steps: [{ op: 'pte_mkdirty', args: { pte: '0x0000000000000027' } }],
        },
        {
          type: 'vector',
          id: 'bad',
          family: 'pte',
          arch: 'x86_64',
          mode: '4level',
          steps: [{ op: 'pte_mkdirty', args: { pte: 'zz' } }],
        },
        // The envelope itself wrong: the pointer is the message's root.
        { type: 'vector', id: 'bare' },
        { type: 'bye' },
      ]
        .map((m) => JSON.stringify(m))
        .join('\n') + '\n';
    const r = spawnSync(process.execPath, ['bin/ptvec.js', 'serve'], {
      cwd: PACKAGE_ROOT,
      input,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      type: 'hello',
      protocol: 1,
      implementation: { name: 'ptvec-serve' },
    });
    expect(lines[1]).toEqual({
      type: 'result',
      id: 't',
      steps: [{ result: '0x0000000000000867' }],
    });
    expect(lines[2]).toMatchObject({ type: 'error', id: 'bad' });
    expect(lines[3]).toEqual({
      type: 'error',
      id: 'bare',
      reason: 'invalid vector message at /: missing required property "family"',
    });
    expect(lines).toHaveLength(4);
  });
});

describe('docs/protocol.md', () => {
  it('shows the vector lines of its complete session exactly as the runner sends them', () => {
    const doc = readFileSync(join(PACKAGE_ROOT, 'docs/protocol.md'), 'utf8');
    const shown = doc.split('\n').filter((l) => l.startsWith('> {"type":"vector"'));
    expect(shown).toHaveLength(2);
    const ids = shown.map((l) => (JSON.parse(l.slice(2)) as { id: string }).id);
    const byId = new Map(loadVectors([]).vectors.map((v) => [v.id, v]));
    expect(shown).toEqual(ids.map((id) => `> ${vectorLine(toInput(byId.get(id)!))}`));
  });
});
