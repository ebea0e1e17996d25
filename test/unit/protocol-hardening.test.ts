// `ptvec run --exec` against implementations that misbehave in ways that used to cost the runner
// its report, its memory, hours, or the innocent vectors (docs/protocol.md "Verdicts and
// misbehaviour"): answers over a bound, a grandchild holding stdout, idle exits, lines out of turn,
// and an implementation that stops answering.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import {
  execImplementation,
  MAX_CONSECUTIVE_TIMEOUTS,
  type ExecOptions,
} from '../../runners/protocol/client.ts';
import { liveGroups } from '../../runners/protocol/groups.ts';
import { nestingDepth } from '../../runners/json-depth.ts';
import {
  MAX_ANSWER_BYTES,
  MAX_ANSWER_DEPTH,
  parseImplementationLine,
} from '../../runners/protocol/messages.ts';
import { execute, type RunReport } from '../../runners/run.ts';
import type { Selection } from '../../runners/select.ts';
import { loadVectors } from '../../runners/load.ts';
import { tmp, vectorFile, writeJson } from './helpers.ts';

const FAKE = join(PACKAGE_ROOT, 'test/fixtures/misbehaving-impl.mjs');
const LEAVE_GROUP = join(PACKAGE_ROOT, 'test/fixtures/leave-group.mjs');
const ALL: Selection = { arch: [], mode: [], family: [], tag: [], grep: [] };

/** A pte_dirty vector the fake answers as its case `c` says (the last part of the id). */
const vector = (c: string, k = 0) => {
  const pte = k % 2 ? '0x0000000000000067' : '0x0000000000000027';
  return {
    id: `x86_64/pte/t/${c}`,
    description: `case ${c}`,
    steps: [{ op: 'pte_dirty', args: { pte }, expect: { result: k % 2 === 1 } }],
  };
};
const oks = (n: number) =>
  Array.from({ length: n }, (_, k) => vector(`ok-${String(k).padStart(2, '0')}`, k));

function corpus(cases: string[]): string {
  const dir = tmp();
  writeJson(dir, 'fake.json', vectorFile(cases.map((c, k) => vector(c, k))));
  return dir;
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];

/** `ptvec run --exec` of the fake over `dir`, `runs` times with one implementation. */
async function run(
  dir: string,
  over: Partial<ExecOptions> = {},
  env: Record<string, string> = {},
  runs = 1,
) {
  const log = join(tmp(), 'starts.log');
  const vars: Record<string, string> = { PTVEC_FAKE_LOG: log, ...env };
  const saved = Object.keys(vars).map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, vars);
  try {
    const impl = await execImplementation({
      argv: ['node', FAKE],
      timeoutMs: 400,
      jobs: 1,
      ...over,
    });
    const reports: RunReport[] = [];
    try {
      for (let k = 0; k < runs; k++)
        reports.push(await execute(impl, loadVectors([dir]), { selection: ALL }));
    } finally {
      await impl.close();
    }
    return { reports, starts: lines(log).length, incidents: impl.incidents?.() ?? [] };
  } finally {
    for (const [k, v] of saved)
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
  }
}

const verdicts = (r: RunReport): Record<string, [string, string]> =>
  Object.fromEntries(r.results.map((x) => [x.id.split('/').pop(), [x.verdict, x.reason ?? '']]));

/** Whether a process is still running (a zombie waiting for its reaper is not). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const pidsIn = (file: string) => lines(file).flatMap((l) => l.split(' ').map(Number));

describe('answers over a bound', () => {
  it('counts nesting on the text, skipping strings', () => {
    expect(nestingDepth('{"a":[1,{"b":"[[[{{{"}],"c":"\\"[["}')).toBe(3);
    expect(nestingDepth('"[[["')).toBe(0);
    expect(nestingDepth('[[[]],[[[[]]]]]')).toBe(5);
  });

  it('refuses an answer over a bound for its vector, and a deep line that is no answer', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const answer = (result: string) => `{"type":"result","id":"v","steps":[{"result":${result}}]}`;
    expect(parseImplementationLine(answer(deep(MAX_ANSWER_DEPTH - 3)))).toMatchObject({
      kind: 'answer',
    });
    expect(parseImplementationLine(answer(deep(MAX_ANSWER_DEPTH - 2)))).toEqual({
      kind: 'refused',
      id: 'v',
      reason: `the answer is nested ${MAX_ANSWER_DEPTH + 1} levels deep; at most ${MAX_ANSWER_DEPTH} are kept`,
    });
    // Deep enough that building it would take seconds: only the id is read.
    expect(parseImplementationLine(answer(deep(2_000_000)))).toMatchObject({
      kind: 'refused',
      id: 'v',
    });
    expect(
      parseImplementationLine(`{"type":"error","reason":"r","id":"e"}`, MAX_ANSWER_BYTES + 1),
    ).toEqual({
      kind: 'refused',
      id: 'e',
      reason: `the answer is ${MAX_ANSWER_BYTES + 1} bytes; at most ${MAX_ANSWER_BYTES} are kept`,
    });
    expect(parseImplementationLine(`{"type":"hello","x":${deep(100)}}`)).toMatchObject({
      kind: 'garbage',
      reason: expect.stringMatching(/is nested 101 levels deep; at most 64 are kept$/),
    });
  });

  it('refuses an answer holding a number beyond a double, which a report would show as null', () => {
    const reason =
      "the answer holds a number beyond a double's range (JSON.parse reads it as Infinity)";
    for (const result of ['1e309', '[1, {"a": -1e400}]', `1${'0'.repeat(309)}`])
      expect(
        parseImplementationLine(`{"type":"result","id":"v","steps":[{"result":${result}}]}`),
      ).toEqual({ kind: 'refused', id: 'v', reason });
    expect(parseImplementationLine(`{"type":"error","id":"e","reason":"r","x":1e309}`)).toEqual({
      kind: 'refused',
      id: 'e',
      reason,
    });
    expect(parseImplementationLine('{"type":"hello","protocol":1e309}')).toEqual({
      kind: 'garbage',
      reason: `garbage on stdout: ${reason}`,
    });
    // The largest double is a number still.
    expect(
      parseImplementationLine(
        '{"type":"result","id":"v","steps":[{"result":1.7976931348623157e308}]}',
      ),
    ).toMatchObject({ kind: 'answer' });
  });

  it('checks an answer with a million errors in time linear in it: the schema check stops at MAX_SCHEMA_ERRORS', () => {
    // 2.4 MB, under MAX_ANSWER_BYTES: 800,000 steps that are neither a result nor unsupported.
    const line = `{"type":"result","id":"x","steps":[${Array(800_000).fill('{}').join(',')}]}`;
    expect(parseImplementationLine(line)).toMatchObject({
      kind: 'garbage',
      reason: expect.stringMatching(
        /is not a protocol message \(at \/steps\/0: missing required property "result"\)$/,
      ),
    });
  });

  it('gives an answer too deep or too long an error, without restarting the process, and writes the report', () => {
    const dir = corpus([...oks(6).map((v) => v.id.split('/').pop()!), 'deep', 'huge']);
    const out = tmp();
    const log = join(out, 'starts.log');
    const reporters = ['pretty', `json=${join(out, 'r.json')}`, `html=${join(out, 'r.html')}`];
    const r = spawnSync(
      process.execPath,
      ['bin/ptvec.js', 'run', dir, '--exec', `node '${FAKE}'`].concat(
        reporters.flatMap((x) => ['--reporter', x]),
      ),
      { cwd: PACKAGE_ROOT, encoding: 'utf8', env: { ...process.env, PTVEC_FAKE_LOG: log } },
    );
    expect(r.stderr).not.toMatch(/Maximum call stack/);
    expect(r.status).toBe(1);
    const v = verdicts(JSON.parse(readFileSync(join(out, 'r.json'), 'utf8')) as RunReport);
    expect(v.deep).toEqual([
      'error',
      `the answer is nested 5003 levels deep; at most ${MAX_ANSWER_DEPTH} are kept`,
    ]);
    expect(v.huge?.[0]).toBe('error');
    expect(v.huge?.[1]).toMatch(
      new RegExp(`^the answer is \\d+ bytes; at most ${MAX_ANSWER_BYTES} are kept$`),
    );
    for (const [c, [verdict]] of Object.entries(v))
      if (c.startsWith('ok-')) expect(verdict, c).toBe('pass');
    expect(lines(log)).toHaveLength(1);
  });

  it('judges answers as they arrive: many large answers cost no memory and no verdict', async () => {
    // 40 answers of 4,000,000 bytes: 160 MB through the pipe, none of it kept once judged.
    const n = 40;
    const { reports, starts } = await run(
      corpus(oks(n).map((v) => v.id.split('/').pop()!)),
      { timeoutMs: 10_000 },
      { PTVEC_FAKE_PAD: '4000000' },
    );
    const results = reports[0]!.results;
    expect(results.filter((x) => x.verdict === 'pass')).toHaveLength(n);
    expect(starts).toBe(1);
  });
});

describe('a process that leaves a grandchild holding its stdout', () => {
  it('is seen to exit by itself, and its process group is killed', async () => {
    const pids = join(tmp(), 'grandchildren');
    const cases = ['crash', 'early-exit', ...oks(10).map((v) => v.id.split('/').pop()!)];
    const { reports, starts } = await run(
      corpus(cases),
      {
        argv: [
          'sh',
          '-c',
          'sleep 1000 & echo $! >> "$PTVEC_FAKE_GRANDCHILDREN"; exec "$0" "$1"',
          process.execPath,
          FAKE,
        ],
        timeoutMs: 30_000,
      },
      { PTVEC_FAKE_GRANDCHILDREN: pids },
    );
    const v = verdicts(reports[0]!);
    expect(Object.keys(v)).toHaveLength(cases.length);
    expect(v.crash?.[1]).toMatch(/^the implementation was killed by SIGSEGV/);
    expect(v['early-exit']?.[1]).toMatch(/^the implementation exited with status 0/);
    for (const c of cases.slice(2)) expect(v[c]?.[0], c).toBe('pass');
    expect(pidsIn(pids)).toHaveLength(starts);
    for (const pid of pidsIn(pids))
      await vi.waitFor(() => expect(running(pid)).toBe(false), { timeout: 5_000 });
    expect(liveGroups()).toEqual([]);
  });

  it.each([
    ['exit', 'exit', 0],
    ['SIGHUP', 'wait', 129],
    ['SIGINT', 'wait', 130],
    ['SIGQUIT', 'wait', 131],
    ['SIGTERM', 'wait', 143],
  ] as const)('is killed when the runner ends on its own (%s)', async (how, mode, status) => {
    const pids = join(tmp(), 'grandchildren');
    const driver = spawn(process.execPath, [LEAVE_GROUP, mode], {
      env: { ...process.env, PTVEC_FAKE_GRANDCHILDREN: pids },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => driver.on('exit', (code) => r(code)));
    await new Promise<void>((r) => driver.stdout.once('data', () => r()));
    if (how !== 'exit') driver.kill(how);
    expect(await exited).toBe(status);
    expect(pidsIn(pids)).toHaveLength(2);
    for (const pid of pidsIn(pids))
      await vi.waitFor(() => expect(running(pid)).toBe(false), { timeout: 5_000 });
  });
});

describe('a process that exits after answering', () => {
  it.each(['', ':SIGKILL'])(
    'costs no vector its verdict (PTVEC_FAKE_EXIT_EVERY=3%s)',
    async (how) => {
      const { reports, starts } = await run(
        corpus(oks(20).map((v) => v.id.split('/').pop()!)),
        {},
        { PTVEC_FAKE_EXIT_EVERY: `3${how}` },
      );
      const v = verdicts(reports[0]!);
      for (const [c, [verdict, reason]] of Object.entries(v))
        expect([c, verdict, reason]).toEqual([c, 'pass', '']);
      expect(starts).toBeGreaterThanOrEqual(20 / 3);
    },
  );
});

describe('lines out of turn', () => {
  it('fails the start of an implementation that writes a line after its hello', async () => {
    const { reports, starts } = await run(corpus(['ok-00', 'ok-01']), {
      argv: ['node', FAKE, '--hello=banner'],
    });
    for (const x of reports[0]!.results) {
      expect(x.verdict).toBe('error');
      expect(x.reason).toBe(
        'the implementation could not be started: it wrote "Ready." after its hello, before any vector was sent',
      );
    }
    expect(starts).toBe(3);
  });

  it.each([
    ['trailing', /: "done with that one" \(the process was killed\)$/],
    ['hello-again', /: "\{\\"type\\":\\"hello\\",.*\(the process was killed\)$/],
  ])(
    'records a line after the last answer (%s) as an incident, and restarts the process',
    async (c, incident) => {
      const { reports, starts, incidents } = await run(corpus([c]), {}, {}, 2);
      for (const r of reports) expect(verdicts(r)[c]).toEqual(['pass', '']);
      // Once, with its count: the same incident in each of the two runs.
      expect(incidents).toHaveLength(1);
      expect(incidents[0]).toMatch(
        /^the implementation wrote a line while no vector was in flight: /,
      );
      expect(incidents[0]?.replace(/ \(2 times\)$/, '')).toMatch(incident);
      expect(incidents[0]).toMatch(/ \(2 times\)$/);
      expect(starts).toBe(2);
    },
  );

  it.each([
    ['exit', /^the implementation exited with status 3 with vectors unanswered/],
    ['garbage', /^garbage on stdout: "not json" is not JSON .* with vectors unanswered/],
  ])(
    'reports a failure (%s) that no vector is blamed for, once with its count',
    async (how, incident) => {
      // The fourth vector of every process fails, whichever it is: alone, each vector passes.
      const dir = tmp();
      writeJson(dir, 'fake.json', vectorFile(oks(12)));
      const { reports, incidents } = await run(dir, {}, { PTVEC_FAKE_FAIL_AT: `4:${how}` });
      const r = reports[0]!;
      expect(r.summary.total).toBe(12);
      expect(r.summary.passed + r.summary.errors).toBe(12);
      expect(incidents).toHaveLength(1);
      expect(incidents[0]).toMatch(incident);
      expect(incidents[0]).toMatch(
        /, none of which failed when run again alone \(the process was restarted\)( \(\d+ times\))?$/,
      );
      expect(r.problems.map((p) => p.severity)).toEqual(['warning']);
    },
  );

  it('errors a vector answered twice, the second time after its session', async () => {
    const { reports } = await run(corpus(['duplicate']));
    expect(verdicts(reports[0]!).duplicate).toEqual([
      'error',
      'the implementation answered the vector "x86_64/pte/t/duplicate" twice',
    ]);
  });
});

describe('an implementation that stops answering', () => {
  it('ends the run after MAX_CONSECUTIVE_TIMEOUTS timeouts in a row', async () => {
    const answers = join(tmp(), 'answers');
    const { reports, starts } = await run(
      corpus(oks(40).map((v) => v.id.split('/').pop()!)),
      { timeoutMs: 300 },
      { PTVEC_FAKE_ANSWERS: answers, PTVEC_FAKE_ANSWER_LIMIT: '2' },
    );
    const results = reports[0]!.results;
    expect(results.filter((x) => x.verdict === 'pass').map((x) => x.id)).toEqual([
      'x86_64/pte/t/ok-00',
      'x86_64/pte/t/ok-01',
    ]);
    const errors = results.filter((x) => x.verdict === 'error');
    expect(errors).toHaveLength(38);
    const stopped = `not run: the implementation stopped answering (${MAX_CONSECUTIVE_TIMEOUTS} consecutive timeouts of 300 ms)`;
    expect(errors.filter((x) => x.reason === stopped).length).toBeGreaterThanOrEqual(36);
    expect(starts).toBeLessThanOrEqual(MAX_CONSECUTIVE_TIMEOUTS + 1);
  });
});
