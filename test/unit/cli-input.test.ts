// The command line against careless and hostile use: a closed stdout, filters that name nothing,
// selections that judge nothing, and values too long to print.

import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { MAX_FILE_BYTES } from '../../runners/vectors/files.ts';
import { dirtyVector, oneVmaSetup, tmp, vectorFile, writeJson } from './helpers.ts';

const BIN = join(PACKAGE_ROOT, 'bin/ptvec.js');
const FAKE = join(PACKAGE_ROOT, 'test/fixtures/misbehaving-impl.mjs');
function ptvec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const longestLine = (s: string) => Math.max(0, ...s.split('\n').map((l) => l.length));
const STACK = /\n\s+at .*:\d+:\d+/;

describe('the command line', () => {
  it('ends quietly when its stdout is closed (ptvec list | head -1)', async () => {
    const child = spawn(process.execPath, [BIN, 'list'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
  });

  it.each([
    [
      ['--arch', 'riscv'],
      /--arch riscv: expected one of arm64, riscv64, x86_64 \(did you mean riscv64\?\)\n/,
    ],
    [
      ['--family', 'ptes'],
      /--family ptes: expected one of layout, pte, mmu.* \(did you mean pte\?\)/,
    ],
    [['--arch', 'x86_64', '--mode', 'sv39'], /--mode sv39: expected one of 4level, 5level\n/],
  ])('takes a filter that names nothing (%j) as a usage error', (args, message) => {
    for (const cmd of ['run', 'list']) {
      const r = ptvec(cmd, ...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    }
  });

  it.each([
    ['--jobs', '1000', '--jobs: expected an integer from 1 to 256'],
    ['--timeout', '99999999999', '--timeout: expected an integer from 1 to 2147483647'],
    ['--timeout', '0', '--timeout: expected an integer from 1 to 2147483647'],
  ])('bounds %s (%s) as a usage error', (flag, value, message) => {
    const r = ptvec('run', '--exec', `node '${FAKE}'`, flag, value);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it.each([
    [['run', '--shard', '1/3', '--shard', '2/3'], '--shard is given twice: it takes one value'],
    [['list', '--shard=1/3', '--shard', '2/3'], '--shard is given twice: it takes one value'],
    [['run', '--exec', 'a', '--exec', 'b'], '--exec is given twice: it takes one value'],
    [['run', '--expect-fail', 'a.json', '--expect-fail', 'b.json'], '--expect-fail is given twice'],
    [['run', '--timeout', '5'], '--timeout: only with --exec or --impl qemu'],
  ])('takes %j as a usage error', (args, message) => {
    const r = ptvec(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('exits 2 on an empty selection unless --allow-empty', () => {
    for (const cmd of ['run', 'list']) {
      const r = ptvec(cmd, '--tag', 'no-such-tag');
      expect(r.code).toBe(2);
      expect(r.err).toContain('ptvec: error: no vector matches the selection');
      const ok = ptvec(cmd, '--tag', 'no-such-tag', '--allow-empty');
      expect(ok.code).toBe(0);
      expect(ok.err).toContain('ptvec: warning: no vector matches the selection');
    }
  });

  it('says that no valid vector was left when every vector given is invalid, with no --allow-empty hint', () => {
    const d = tmp();
    const bad = dirtyVector('x86_64/pte/t/bad');
    writeJson(
      d,
      'bad.json',
      vectorFile([{ ...bad, steps: [{ ...bad.steps[0], args: { pte: '0x67' } }] }]),
    );
    for (const extra of [[], ['--allow-empty']]) {
      const r = ptvec('run', d, ...extra);
      expect(r.code).toBe(2);
      expect(r.err).toContain('no valid vector matches the selection (the problems are above)');
      expect(r.err).not.toContain('--allow-empty accepts this');
    }
  });

  it('exits 2 when an implementation judged nothing unless --allow-empty', () => {
    const d = tmp();
    const file = vectorFile(
      [
        {
          ...dirtyVector('riscv64/pte/t/skipped'),
          steps: [
            { op: 'pte_dirty', args: { pte: '0x0000000000000087' }, expect: { result: true } },
          ],
        },
      ],
      { defaults: { arch: 'riscv64', mode: 'sv39' } },
    );
    writeJson(d, 'r.json', file);
    const exec = ['--exec', `node '${FAKE}'`];
    const r = ptvec('run', d, ...exec);
    expect(r.code).toBe(2);
    expect(r.err).toContain('nothing was judged: all 1 selected vectors were skipped');
    expect(ptvec('run', d, ...exec, '--allow-empty').code).toBe(0);
  });

  it('shortens a huge value in a message (lint and run alike)', () => {
    const d = tmp();
    const key = 'k'.repeat(4 << 20);
    const file = vectorFile([{ ...dirtyVector('x86_64/pte/t/huge'), [key]: 1 }]);
    writeJson(d, 'h.json', { ...file, notes: { [key]: { description: 'x' } } });
    for (const cmd of ['lint', 'run']) {
      const r = ptvec(cmd, d);
      expect(r.code).toBe(2);
      expect(r.err + r.out).toContain('unexpected property "kkkk');
      expect(longestLine(r.err + r.out)).toBeLessThan(2000);
      expect(r.err + r.out).not.toMatch(STACK);
    }
  });

  it('refuses a report that would overwrite a vector file the run reads, before the run', () => {
    const d = tmp();
    const f = writeJson(d, 'mine.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    const before = readFileSync(f, 'utf8');
    for (const target of [f, join(d, '.', 'mine.json')]) {
      const r = ptvec('run', d, '--reporter', `json=${target}`);
      expect(r.code).toBe(2);
      expect(r.err).toContain(
        'it is a vector file this run reads, which the report would overwrite',
      );
    }
    expect(readFileSync(f, 'utf8')).toBe(before);
    expect(ptvec('run', d, '--reporter', `json=${join(d, 'report.txt')}`).code).toBe(0);
  });

  it('refuses a report or expected-failures file that is a FIFO, which it would wait on forever', () => {
    const d = tmp();
    const fifo = join(d, 'pipe.json');
    spawnSync('mkfifo', [fifo]);
    const m = ptvec('merge', fifo);
    expect(m.code).toBe(2);
    expect(m.err).toContain('not a regular file (a FIFO, a socket or a device)');
    const ok = writeJson(tmp(), 'ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    const r = ptvec('run', ok, '--expect-fail', fifo);
    expect(r.code).toBe(2);
    expect(r.err).toContain('not a regular file (a FIFO, a socket or a device)');
  });

  it('refuses a report or expected-failures file nested too deep to process', () => {
    const d = tmp();
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const report = writeJson(d, 'deep-report.json', `{"results": ${deep}}`);
    const m = ptvec('merge', report);
    expect(m.code).toBe(2);
    expect(m.err).toContain('it is nested 100001 levels deep; at most 256 are read');
    const ef = writeJson(d, 'deep-ef.json', `{"x86_64/pte/t/ok": ${deep}}`);
    const ok = writeJson(tmp(), 'ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    const r = ptvec('run', ok, '--expect-fail', ef);
    expect(r.code).toBe(2);
    expect(r.err).toContain('it is nested 100001 levels deep');
    expect(m.err + r.err).not.toMatch(STACK);
  });

  it('gives the line and column of invalid JSON in a report or expected-failures file', () => {
    const d = tmp();
    const broken = writeJson(d, 'broken.json', '{\n  "x86_64/pte/t/ok": "known"\n');
    const ok = writeJson(tmp(), 'ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    const r = ptvec('run', ok, '--expect-fail', broken);
    expect(r.code).toBe(2);
    expect(r.err).toContain('invalid JSON at line 3 column 1: expected "," or "}"');
    const m = ptvec('merge', broken);
    expect(m.code).toBe(2);
    expect(m.err).toContain('invalid JSON at line 3 column 1');
  });

  it('refuses a vector file over MAX_FILE_BYTES before reading it, and runs the others', () => {
    const d = tmp();
    writeJson(d, 'big.json', `{"pad": "${'x'.repeat(MAX_FILE_BYTES)}"}`);
    writeJson(d, 'ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    const r = ptvec('run', d);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(
      /invalid .*big\.json: the file is \d+ bytes; a vector file may have at most 33554432/,
    );
    expect(r.out).toContain('1 vector against ref: 1 passed');
  });

  it('counts in the singular for one and in the plural otherwise, in every summary line', () => {
    const d = tmp();
    writeJson(
      d,
      'two.json',
      vectorFile([dirtyVector('x86_64/pte/t/one'), dirtyVector('x86_64/pte/t/two')]),
    );
    expect(ptvec('lint', d).err).toBe('1 file, 2 vectors, 0 errors, 0 warnings\n');
    const r = ptvec('run', d, '--reporter', `pretty=${join(tmp(), 'p.txt')}`);
    expect(r.code).toBe(0);
    expect(r.err).toBe(
      '2 vectors: 2 passed, 0 failed, 0 skipped, 0 xfailed, 0 xpassed, 0 errors, 0 problems\n',
    );
  });

  it('shortens a huge observed value in the pretty report, and keeps it whole in JSON', () => {
    const d = tmp();
    const walk = {
      id: 'x86_64/walk/t/many',
      description: 'pte_entry for each of the 512 PTEs of one table',
      setup: {
        ...oneVmaSetup(['VM_READ']),
        map: [
          { va: '0x0000000000401000', pa: '0x0000000050000000', size: '4K', fields: { RW: 1 } },
        ],
      },
      steps: [
        {
          op: 'walk_page_range',
          args: {
            mm: 'mm',
            start: '0x0000000000400000',
            end: '0x0000000000600000',
            ops: { pte_entry: {} },
          },
          expect: { result: { ret: 0, events: [], changes: [] } },
        },
      ],
    };
    writeJson(
      d,
      'w.json',
      vectorFile([walk], { family: 'walk', refs: ['linux-v6.19 mm/pagewalk.c:30 x'] }),
    );
    const json = join(tmp(), 'r.json');
    const r = ptvec('run', d, '--reporter', 'pretty', '--reporter', `json=${json}`);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL x86_64/walk/t/many');
    expect(longestLine(r.out)).toBeLessThan(1000);
    expect(r.out).toMatch(/got \{"ret":0,"events":\[.*\.\.\. \(\d+ characters\)/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      results: { mismatches: { actual: { events: unknown[] } }[] }[];
    };
    expect(report.results[0]?.mismatches[0]?.actual.events).toHaveLength(512);
  });
});

describe('closest: the name a typo may mean', () => {
  it('within two edits (a swap of neighbours is one), and only for names longer than twice that', async () => {
    const { closest } = await import('../../runners/vectors/quote.ts');
    const flags = ['--arch', '--mode', '--family', '--tag', '--grep', '--shard'];
    expect(closest('--familly', flags)).toBe('--family');
    expect(closest('--arhc', flags)).toBe('--arch');
    expect(closest('--grpe', flags)).toBe('--grep');
    expect(closest('--frob', flags)).toBeUndefined();
    expect(closest('lnit', ['run', 'list', 'lint'])).toBe('lint');
    expect(closest('rn', ['run', 'list'])).toBe('run');
    expect(closest('xy', ['run', 'list'])).toBeUndefined();
  });
});
