// The command line as a user meets it: the real bin in a child process.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runners/paths.ts';
import { dirtyVector, tmp, vectorFile, writeJson } from './helpers.ts';

const BIN = join(PACKAGE_ROOT, 'bin/ptvec.js');
function ptvec(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('ptvec', () => {
  it('run: exit 0 when all pass, and a JSON report', () => {
    const d = tmp();
    writeJson(d, 'ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    const r = ptvec('run', d, '--reporter', `json=${join(d, 'r.json')}`);
    expect(r.code).toBe(0);
    const rep = JSON.parse(readFileSync(join(d, 'r.json'), 'utf8')) as {
      summary: { passed: number };
    };
    expect(rep.summary.passed).toBe(1);
  });

  it('run: exit 1 on a failure, with the vector and step named', () => {
    const d = tmp();
    writeJson(d, 'f.json', vectorFile([dirtyVector('x86_64/pte/t/f', false)]));
    const r = ptvec('run', d);
    expect(r.code).toBe(1);
    expect(r.out).toContain('FAIL x86_64/pte/t/f');
    expect(r.out).toContain('step 0 pte_dirty: expected false, got true');
  });

  it('run: exit 2 for a broken file, with its location, while the other files still run', () => {
    const d = tmp();
    writeJson(d, 'good.json', vectorFile([dirtyVector('x86_64/pte/t/good')]));
    writeJson(
      d,
      'broken.json',
      vectorFile([
        {
          ...dirtyVector('x86_64/pte/t/broken'),
          steps: [{ op: 'pte_dirty', args: { pte: '0x67' }, expect: { result: true } }],
        },
      ]),
    );
    const r = ptvec('run', d);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(
      /invalid .*broken\.json#\/vectors\/0\/steps\/0\/args\/pte: expected a Hex64 string/,
    );
    expect(r.out).toContain('1 vector against ref: 1 passed');
    expect(r.err).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });

  it('run --expect-fail: an expected failure is xfail (exit 0); an unexpected pass fails the run', () => {
    const d = tmp();
    writeJson(
      d,
      'v.json',
      vectorFile([dirtyVector('x86_64/pte/t/x', false), dirtyVector('x86_64/pte/t/y')]),
    );
    const xf = writeJson(d, 'xf.json', { 'x86_64/pte/t/x': 'known' });
    expect(ptvec('run', join(d, 'v.json'), '--expect-fail', xf).code).toBe(0);
    const xp = writeJson(d, 'xp.json', { 'x86_64/pte/t/x': 'known', 'x86_64/pte/t/y': 'stale' });
    const r = ptvec('run', join(d, 'v.json'), '--expect-fail', xp);
    expect(r.code).toBe(1);
    expect(r.out).toContain('XPASS x86_64/pte/t/y');
  });

  it('list and filters', () => {
    const r = ptvec('list', '--arch', 'x86_64', '--grep', 'saved');
    expect(r.code).toBe(0);
    const ids = r.out.split('\n').filter(Boolean);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.filter((id) => !id.startsWith('x86_64/'))).toEqual([]);
  });

  it('run: a usage error is exit 2 with the usage', () => {
    const r = ptvec('run', '--shard', '3/2');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--shard 3/2: expected I/N with 1 <= I <= N');
  });

  it('--version, help COMMAND, and an unknown command or help topic named with the commands', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const v of [ptvec('--version'), ptvec('version')]) {
      expect(v.code).toBe(0);
      expect(v.out).toBe(`ptvec ${pkg.version}\n`);
    }
    const run = ptvec('help', 'run');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^usage: ptvec run \[PATH\.\.\.\]/);
    expect(run.out).toContain('--impl qemu');
    expect(ptvec('help', 'merge').out).toMatch(/^usage: ptvec merge FILE\.\.\./);
    const topic = ptvec('help', 'nope');
    expect(topic.code).toBe(2);
    expect(topic.err).toContain('help: unknown command "nope" (the commands are: run, list,');
    const cmd = ptvec('frob');
    expect(cmd.code).toBe(2);
    expect(cmd.err).toContain('unknown command "frob" (the commands are: run, list,');
    const opt = ptvec('list', '--frob');
    expect(opt.code).toBe(2);
    expect(opt.err).toMatch(/^ptvec list: unknown option --frob\n\nusage: ptvec list /);
  });

  it('a typo of a command or option is named with what it may mean; COMMAND --help is help COMMAND', () => {
    const cmd = ptvec('lnit');
    expect(cmd.code).toBe(2);
    expect(cmd.err).toContain('unknown command "lnit" (did you mean lint?)');
    expect(ptvec('help', 'runn').err).toContain('help: unknown command "runn" (did you mean run?)');
    // A member of every object is no command.
    for (const r of [ptvec('constructor'), ptvec('help', 'constructor')]) {
      expect(r.code).toBe(2);
      expect(r.err).toContain('unknown command "constructor" (the commands are: run,');
    }
    const opt = ptvec('run', '--familly', 'pte');
    expect(opt.code).toBe(2);
    expect(opt.err).toMatch(
      /^ptvec run: unknown option --familly \(did you mean --family\?\)\n\nusage: ptvec run /,
    );
    expect(ptvec('merge').err).toMatch(
      /^ptvec merge: expected the JSON reports of the shards\n\nusage: ptvec merge /,
    );
    for (const [cmd, flag] of [
      ['lint', '--help'],
      ['run', '-h'],
      ['list', '--help'],
    ] as const) {
      const r = ptvec(cmd, '--arch', 'x86_64', flag);
      expect(r.code).toBe(0);
      expect(r.out).toBe(ptvec('help', cmd).out);
      expect(r.out).toMatch(new RegExp(`^usage: ptvec ${cmd} `));
    }
    // After "--", --help is a PATH.
    expect(ptvec('list', '--', '--help').err).toContain('--help: no such file or directory');
  });

  it('--reporter FILE: its directory is made; a FILE that cannot be written stops the run before it starts', () => {
    const d = tmp();
    writeJson(d, 'ok.json', vectorFile([dirtyVector('x86_64/pte/t/ok')]));
    const nested = join(d, 'reports', 'ci', 'r.json');
    const ok = ptvec('run', join(d, 'ok.json'), '--reporter', `json=${nested}`);
    expect(ok.code).toBe(0);
    expect(JSON.parse(readFileSync(nested, 'utf8'))).toMatchObject({ summary: { passed: 1 } });
    // A regular file where the directory should be.
    const blocked = join(d, 'ok.json', 'r.xml');
    const r = ptvec('run', join(d, 'ok.json'), '--reporter', `junit=${blocked}`);
    expect(r.code).toBe(2);
    expect(r.err.startsWith(`ptvec run: --reporter junit=${blocked}: cannot write: `)).toBe(true);
    expect(r.err).toContain(`a file is in the way of its directory ${join(d, 'ok.json')}`);
    expect(r.err).not.toMatch(/vectors against|\n {4}at /);
    const dir = ptvec('run', join(d, 'ok.json'), '--reporter', `json=${d}`);
    expect(dir.code).toBe(2);
    expect(dir.err).toContain(': cannot write: it is a directory');
    // Where the system refuses the file (node's recursive mkdir spun for ever under /proc), and a
    // report that exists is not truncated by a run refused before it starts.
    const old = join(d, 'old.json');
    writeFileSync(old, 'the last report');
    for (const refused of ['/proc/ptvec-nope/r.xml', '/proc/r.xml']) {
      const p = spawnSync(
        process.execPath,
        [
          BIN,
          'run',
          join(d, 'ok.json'),
          '--reporter',
          `json=${old}`,
          '--reporter',
          `junit=${refused}`,
        ],
        { encoding: 'utf8', timeout: 20_000 },
      );
      expect(p.status).toBe(2);
      expect(p.stderr).toContain(`ptvec run: --reporter junit=${refused}: cannot write: `);
      expect(p.stderr).not.toContain('vectors against');
    }
    expect(readFileSync(old, 'utf8')).toBe('the last report');
    expect(readdirSync(d).sort()).toEqual(['ok.json', 'old.json', 'reports']);
  });

  it('decode names the fields of a known Linux value', () => {
    const r = ptvec('decode', '--arch', 'x86_64', '0x8000000000000027');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/present/);
    expect(r.out).toMatch(/bit 63\s+XD\s+1/);
    expect(r.out).toMatch(/bit 5\s+A\s+1/);
    // A format's bits are its level's: a protnone PTE's PFN is 51:12 (PUD's 51:30), its PAT bit 7.
    const none = ptvec('decode', '--arch', 'x86_64', '--level', 'pte', '0x040fffffaffff120');
    expect(none.out).toMatch(/^x86_64 4level pte 0x040fffffaffff120: protnone$/m);
    expect(none.out).toMatch(/bits 51:12\s+PFN\s+0x0000050000/);
    expect(none.out).toMatch(/bit 7\s+PAT\s+0/);
  });

  it('encode builds the value back from fields', () => {
    const r = ptvec(
      'encode',
      '--arch',
      'x86_64',
      '--format',
      'present',
      'P=1',
      'RW=1',
      'US=1',
      'A=1',
      'XD=1',
    );
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe('0x8000000000000027');
  });

  it.each([
    [['PPN=abc'], 'PPN=abc: expected FIELD=VALUE (decimal or 0x hex)'],
    [['PPN=ff'], 'PPN=ff: expected FIELD=VALUE (decimal or 0x hex)'],
    [['V=1', 'V=0'], 'V=0: the field V is given twice'],
    [['V=1', '--json'], 'unknown option --json'],
  ])('encode %j is a usage error', (fields, message) => {
    const r = ptvec('encode', '--arch', 'riscv64', '--format', 'leaf', ...fields);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('lint reports what a schema cannot see', () => {
    const d = tmp();
    const v = { ...dirtyVector('arm64/pte/t/wrong-arch'), flags: ['Nope'] };
    writeJson(d, 'l.json', vectorFile([v]));
    const r = ptvec('lint', d);
    expect(r.code).toBe(2);
    expect(r.err).toContain('flag "Nope" has no entry in notes');
    expect(r.err).toContain('expected the id to start with "x86_64/pte/"');
  });
});
