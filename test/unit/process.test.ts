// The implementation process's transport: lines sent in one turn are batched into writes of about a
// megabyte, and arrive whole and in order however many writes they take.

import { describe, expect, it } from 'vitest';
import { ImplementationProcess, type ProcessEvent } from '../../runners/protocol/process.ts';

describe('ImplementationProcess.send', () => {
  it('delivers every line of one turn in order, across several writes', async () => {
    // An implementation that echoes its stdin.
    const p = new ImplementationProcess([
      process.execPath,
      '-e',
      'process.stdin.pipe(process.stdout)',
    ]);
    // 3,000 lines of 1 to 2 KiB: about 4.5 MiB, several writes of WRITE_CHUNK.
    const sent = Array.from({ length: 3000 }, (_, i) => `${i}:${'x'.repeat(1024 + (i % 1024))}`);
    const got: string[] = [];
    const done = new Promise<void>((resolve) =>
      p.listen((e: ProcessEvent) => {
        if (e.kind === 'line') got.push(e.line);
        if (got.length === sent.length || e.kind !== 'line') resolve();
      }),
    );
    for (const l of sent) p.send(l);
    await done;
    await p.kill();
    expect(got.length).toBe(sent.length);
    expect(got).toEqual(sent);
  });

  it('close sends the lines of its turn and bye before it ends stdin', async () => {
    const p = new ImplementationProcess([
      process.execPath,
      '-e',
      'process.stdin.pipe(process.stdout)',
    ]);
    const got: string[] = [];
    p.listen((e: ProcessEvent) => {
      if (e.kind === 'line') got.push(e.line);
    });
    p.send('{"type":"vector","id":"a"}');
    await p.close('{"type":"bye"}', 5000);
    expect(got).toEqual(['{"type":"vector","id":"a"}', '{"type":"bye"}']);
  });
});
