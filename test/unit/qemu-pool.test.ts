// The QEMU implementation against deliberately wrong blobs. A vector whose blob writes its leaf with
// one permission bit flipped must fail (what is judged is what QEMU did with the blob, never the
// vector read back), and a blob with an operation the harness does not know must cost its own vector
// an `error` while the vectors batched around it, in the same process, still pass.

import { describe, expect, it } from 'vitest';
import { toInput, type VectorObservation } from '../../runners/adapter.ts';
import { build } from '../../runners/adapters/qemu/builder.ts';
import { qemuImplementation } from '../../runners/adapters/qemu/index.ts';
import type { QemuTarget } from '../../runners/adapters/qemu/target.ts';
import { TARGETS } from '../../runners/adapters/qemu/targets.ts';
import { judge } from '../../runners/compare.ts';
import { corpusOf, qemuMissing } from './qemu-sample.ts';

/** A user access that passes on QEMU, and a bit of its leaf that takes the user's right away. */
const CASES = {
  riscv64: { id: 'riscv64/mmu/walk/sv39/ok_4k_user_load', bit: 4n, name: 'U' },
  arm64: { id: 'arm64/mmu/permissions/4k-48/ap01-el0-store', bit: 6n, name: 'AP[1]' },
  x86_64: { id: 'x86_64/mmu/walk/4level/4k_user_store_sets_d', bit: 2n, name: 'U/S' },
} as const;
const OTHERS = {
  riscv64: ['riscv64/mmu/walk/sv39/ok_2m_offset', 'riscv64/mmu/permissions/sv39/rw_u1_u_store'],
  arm64: ['arm64/mmu/walk/4k-48/page-load-el1', 'arm64/mmu/walk/4k-48/block-2m-load'],
  x86_64: [
    'x86_64/mmu/accessed-dirty/4level/all_a0_load_4k',
    'x86_64/tlb/next-page/4level/boundary_2m',
  ],
} as const;

type Arch = keyof typeof CASES;

/** The target, with `change` applied to the words of the vector `id` after encoding. */
function tampered(
  t: QemuTarget,
  id: string,
  change: (words: bigint[], v: ReturnType<typeof toInput>) => void,
): QemuTarget {
  return {
    ...t,
    encode(v, w) {
      const r = t.encode(v, w);
      if (v.id === id) change(w.words, v);
      return r;
    },
  };
}

const missing = Object.values(TARGETS)
  .map(qemuMissing)
  .find((m) => m !== undefined);

async function run(t: QemuTarget, ids: readonly string[]) {
  const { vector } = corpusOf(t.arch);
  const vs = ids.map(vector);
  const qemu = qemuImplementation({ jobs: 1, timeoutMs: 20_000, targets: { [t.arch]: t } });
  const obs: VectorObservation[] = [];
  try {
    await qemu.run(vs.map(toInput), (i, o) => (obs[i] = o));
  } finally {
    await qemu.close();
  }
  return vs.map((v, i) => judge(v, obs[i]!, t.choices, t.unobserved));
}

describe.skipIf(missing !== undefined)('the QEMU implementation against wrong blobs', () => {
  it.each(Object.keys(CASES) as Arch[])(
    '%s: a leaf written with its user permission flipped fails',
    async (arch) => {
      const { id, bit } = CASES[arch];
      const t = TARGETS[arch];
      const [honest] = await run(t, [id]);
      expect(honest?.verdict).toBe('pass');
      let flipped = 0;
      const wrong = tampered(t, id, (words, v) => {
        const leaf = build(v).writes.at(-1)!;
        for (let i = 1; i < words.length; i++)
          if (words[i - 1] === leaf.pa && words[i] === leaf.value) {
            words[i] = leaf.value ^ (1n << bit);
            flipped++;
          }
      });
      const [j] = await run(wrong, [id]);
      expect(flipped).toBe(1);
      expect(j?.verdict).toBe('fail');
    },
    60_000,
  );

  it.each(Object.keys(CASES) as Arch[])(
    '%s: an operation the harness does not know is an error for its vector only',
    async (arch) => {
      const { id } = CASES[arch];
      const t = tampered(TARGETS[arch], id, (words) => void words.push(0xffn));
      const js = await run(t, [OTHERS[arch][0], id, OTHERS[arch][1]]);
      expect(js.map((j) => j.verdict)).toEqual(['pass', 'error', 'pass']);
      expect(js[1]?.reason).toMatch(/does not know/);
    },
    60_000,
  );

  it('answers every vector of a batch it cannot run with the reason, and the run goes on', async () => {
    const t = TARGETS.riscv64;
    const broken: QemuTarget = {
      ...t,
      layout: { ...t.layout, blob: { pa: 0n, bytes: t.layout.blob.bytes } },
    };
    const js = await run(broken, [...OTHERS.riscv64]);
    expect(js.map((j) => j.verdict)).toEqual(['error', 'error']);
    expect(js[0]?.reason).toMatch(/could not run the batch: 0x0 is not in the guest's RAM/);
  });

  it('kills a QEMU that hangs, and gives each of its vectors alone its own chance', async () => {
    const t = TARGETS.riscv64;
    // -S: QEMU starts with its CPUs stopped, so the harness never runs.
    const stopped: QemuTarget = { ...t, args: (o) => [...t.args(o), '-S'] };
    const { vector } = corpusOf('riscv64');
    const vs = OTHERS.riscv64.map(vector);
    const qemu = qemuImplementation({ jobs: 1, timeoutMs: 500, targets: { riscv64: stopped } });
    const obs: VectorObservation[] = [];
    try {
      await qemu.run(vs.map(toInput), (i, o) => (obs[i] = o));
    } finally {
      await qemu.close();
    }
    expect(obs.map((o) => o.kind)).toEqual(['error', 'error']);
    expect(obs[0]).toMatchObject({ reason: expect.stringMatching(/did not finish within 505 ms/) });
  }, 30_000);
});
