#!/usr/bin/env bash
# The published package, tested as a user gets it: `npm pack`, check what the tarball holds (what
# README.md and docs/ promise, none of the development tree), install it into an empty project
# (npm registry only: the package's dependencies and typescript), and there run `npx ptvec run` on
# a family, `npx ptvec run --exec` against the C example, and a TypeScript consumer of the library
# API compiled with `tsc --strict`; it lints and runs a vector file of the user's own, and compiles the
# TypeScript examples of the published README.md and docs/ the same way. Needs cc, pkg-config and
# jansson for the C example.
# Usage: bash scripts/pack-test.sh [WORKDIR]   (default: a fresh temporary directory, removed after)
set -Eeuo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-}"
if [[ -z "$work" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
step="start"
trap 'echo "pack-test: FAILED at: $step" >&2' ERR
say() {
  step="$*"
  echo "pack-test: $*"
}

# --- pack ---------------------------------------------------------------------------------------
cd "$root"
qemu_built=yes
for cc in riscv64-unknown-elf-gcc aarch64-linux-gnu-gcc gcc; do
  command -v "$cc" >/dev/null || qemu_built=no
done
if [[ $qemu_built == yes ]]; then
  say "npm pack (prepack: dist/ and the QEMU harnesses)"
  npm pack --pack-destination "$work" >"$work/pack.log" 2>&1 || { cat "$work/pack.log" >&2; false; }
else
  # Without the cross compilers the harnesses cannot be built: pack dist/ alone, and say so.
  say "npm pack without the QEMU harnesses (no cross compilers here; CI has them)"
  node scripts/build.mjs --clean
  npm pack --ignore-scripts --pack-destination "$work" >"$work/pack.log" 2>&1 ||
    { cat "$work/pack.log" >&2; false; }
fi
tarball="$(ls "$work"/ptvec-*.tgz)"
tar -tzf "$tarball" | sort >"$work/files.txt"
echo "pack-test: $(basename "$tarball"): $(du -k "$tarball" | cut -f1) KiB, $(wc -l <"$work/files.txt") files"

say "the tarball holds no development files"
# examples/ is the users' own: the C implementation (docs/protocol.md) and the TypeScript simulator
# (docs/library.md), each importing only what the package offers.
if grep -E '^package/((src|runners|test|scripts|harness|bench|mutation|\.ci|node_modules)/|.*node_modules/|.*\.tsbuildinfo$|.*\.ts$|[^/]*(tsconfig|eslint|vitest|stryker)[^/]*$)' \
  "$work/files.txt" | grep -v -E '\.d\.ts$|^package/examples/ts-sim/[a-z-]+(\.test)?\.ts$' >"$work/unwanted.txt"; then
  head -20 "$work/unwanted.txt" >&2
  false
fi

say "the tarball holds what README.md and docs/ promise"
promised=(package/package.json package/README.md package/bin/ptvec.js
  package/dist/runners/cli.js package/dist/runners/api.js package/dist/runners/api.d.ts
  package/dist/runners/vectors/generated/validators.js package/docs/protocol.md
  package/docs/qemu.md package/docs/library.md)
while read -r e; do promised+=("package/$e"); done < <(git ls-files examples)
for s in "$root"/schemas/*.json; do promised+=("package/schemas/$(basename "$s")"); done
while read -r v; do promised+=("package/$v"); done < <(git ls-files vectors)
if [[ $qemu_built == yes ]]; then
  promised+=(package/build/qemu/riscv64.elf package/build/qemu/arm64.elf package/build/qemu/x86_64.elf)
fi
missing=0
for p in "${promised[@]}"; do
  grep -qxF "$p" "$work/files.txt" || { echo "  missing: $p" >&2; missing=1; }
done
[[ $missing == 0 ]]

# --- install into an empty project -------------------------------------------------------------
say "npm install the tarball and typescript into an empty project"
ts_version="$(node -p "require('typescript/package.json').version")"
project="$work/project"
mkdir -p "$project"
cd "$project"
npm init -y >/dev/null
npm pkg set type=module
npm install --no-audit --no-fund --loglevel=error "$tarball" "typescript@$ts_version"

say "npx ptvec --version"
version="$(npx --no -- ptvec --version)"
[[ "$version" == "ptvec $(node -p "require('$root/package.json').version")" ]]
echo "  $version"

say "npx ptvec run --family pte --arch x86_64 (exit 0)"
npx --no -- ptvec run --family pte --arch x86_64 --reporter json=pte.json
node -e '
  const s = JSON.parse(require("fs").readFileSync("pte.json", "utf8")).summary;
  console.log(`  ${s.passed} passed of ${s.total}`);
  if (s.failed || s.errors || !s.passed) process.exit(1);'

say "a vector file of the user's own: npx ptvec lint and run my-vectors (exit 0), a duplicate id (exit 2)"
mkdir -p my-vectors
cat >my-vectors/wrprotect.json <<'EOF'
{
  "$schema": "../node_modules/ptvec/schemas/vector-file.schema.json",
  "formatVersion": 1,
  "family": "pte",
  "title": "pte_wrprotect moves Dirty to SavedDirty",
  "refs": ["linux-v6.19 arch/x86/include/asm/pgtable.h:408 pte_wrprotect"],
  "defaults": { "arch": "x86_64", "mode": "4level" },
  "vectors": [
    {
      "id": "x86_64/pte/mine/wrprotect-dirty",
      "description": "P|RW|A|D: RW cleared, D moved to bit 58",
      "steps": [
        {
          "op": "pte_wrprotect",
          "args": { "pte": "0x0000000000000063" },
          "expect": { "result": "0x0400000000000021" }
        }
      ]
    }
  ]
}
EOF
[[ "$(npx --no -- ptvec lint my-vectors 2>&1)" == "1 file, 1 vector, 0 errors, 0 warnings" ]]
npx --no -- ptvec run my-vectors --reporter json=mine.json >/dev/null
node -e '
  const s = JSON.parse(require("fs").readFileSync("mine.json", "utf8")).summary;
  if (s.passed !== 1 || s.total !== 1) process.exit(1);'
sed -i 's#x86_64/pte/mine/#x86_64/pte/example/#' my-vectors/wrprotect.json
status=0
npx --no -- ptvec lint my-vectors >lint.out 2>&1 || status=$?
[[ $status == 2 ]] && grep -q 'duplicate id "x86_64/pte/example/wrprotect-dirty": also at node_modules/ptvec/vectors/' lint.out
echo "  lint: $(grep -m 1 'duplicate id' lint.out | cut -c1-100)..."

say "build the package's C example (node_modules/ptvec/examples/c-impl/build.sh: cc, pkg-config, jansson)"
sh node_modules/ptvec/examples/c-impl/build.sh "$work/c-impl"
for target in "--arch riscv64 --family mmu --family tlb" "--arch x86_64 --family pte"; do
  say "npx ptvec run --exec ptvec-c $target --expect-fail examples/c-impl/expected-failures.json (exit 0)"
  # shellcheck disable=SC2086 # the target is a list of flags
  npx --no -- ptvec run --exec "$work/c-impl/ptvec-c" $target \
    --expect-fail node_modules/ptvec/examples/c-impl/expected-failures.json --reporter json=c.json
  node -e '
    const s = JSON.parse(require("fs").readFileSync("c.json", "utf8")).summary;
    console.log(`  ${s.passed} passed, ${s.skipped} skipped of ${s.total}`);
    if (s.failed || s.errors || !s.passed) process.exit(1);'
done

say "a TypeScript consumer of the library API, compiled with tsc --strict"
cat >consumer.ts <<'EOF'
// A user's program: its own in-process Implementation (the reference engine behind a wrapper that
// declines the pte_mk* helpers), run on a family through the library API.
import {
  exitCode,
  referenceImplementation,
  render,
  run,
  type Implementation,
  type RunReport,
  type VectorInput,
} from 'ptvec';

const engine = referenceImplementation();
const mine: Implementation = {
  name: 'consumer',
  choices: engine.choices,
  notCovered: (v: VectorInput) =>
    v.steps.some((s) => s.op.startsWith('pte_mk')) ? 'consumer: no pte_mk* helpers' : undefined,
  run: (vectors, answered) => engine.run(vectors, answered),
  close: () => engine.close(),
};

const report: RunReport = await run(mine, { selection: { family: ['pte'], arch: ['x86_64'] } });
await mine.close();
const { summary: s } = JSON.parse(render(report, 'json')) as Pick<RunReport, 'summary'>;
console.log(`  consumer: ${s.passed} passed, ${s.skipped} skipped of ${s.total}`);
const skips = new Set(report.results.filter((r) => r.verdict === 'skip').map((r) => r.reason));
if (
  s.failed + s.errors + s.problems > 0 ||
  s.passed === 0 ||
  s.skipped === 0 ||
  s.passed + s.skipped !== s.total ||
  [...skips].join() !== 'consumer: no pte_mk* helpers' ||
  exitCode(report) !== 0
)
  throw new Error(`consumer: unexpected summary ${JSON.stringify(s)}`);
EOF
npx --no -- tsc --strict --module nodenext --moduleResolution nodenext --target es2022 --outDir out consumer.ts
say "node out/consumer.js"
node out/consumer.js

# What the published README and docs show of the API compiles as it is written: every ```ts block of
# node_modules/ptvec's README.md and docs/*.md, with `simulate` (the README's stand-in for the user's
# simulator) declared, compiled with tsc --strict; library.md's example also runs.
say "the TypeScript of the published README.md and docs/*.md, compiled with tsc --strict"
mkdir -p snippets
cat >snippets/simulate.d.ts <<'EOF'
declare function simulate(v: import('ptvec').VectorInput): import('ptvec').VectorObservation;
EOF
node -e '
  const fs = require("fs");
  const docs = fs.readdirSync("node_modules/ptvec/docs").map((f) => "docs/" + f);
  let n = 0;
  for (const doc of ["README.md", ...docs.filter((d) => d.endsWith(".md"))]) {
    const text = fs.readFileSync("node_modules/ptvec/" + doc, "utf8");
    // A fence may be indented (inside a list item); every one opened must be taken.
    const blocks = [...text.matchAll(/^( *)```(?:ts|typescript)\n([\s\S]*?)^\1```$/gm)];
    const opened = text.match(/^ *```(?:ts|typescript)$/gm)?.length ?? 0;
    if (blocks.length !== opened) {
      console.error(`  ${doc}: ${opened} TypeScript blocks, ${blocks.length} of them closed`);
      process.exit(1);
    }
    for (const [, indent, code] of blocks) {
      const name = `snippets/${doc.replace(/\W/g, "-")}-${++n}.ts`;
      fs.writeFileSync(name, code.replace(new RegExp(`^${indent}`, "gm"), ""));
      console.log(`  ${name}`);
    }
  }
  if (n < 2) {
    console.error("  expected the examples of README.md and docs/library.md");
    process.exit(1);
  }'
npx --no -- tsc --strict --module nodenext --moduleResolution nodenext --target es2022 \
  --outDir snippets/out snippets/*.ts
say "node: docs/library.md's example (the reference engine on riscv64 mmu and tlb; exit code 0)"
node snippets/out/docs-library-md-*.js >library.out
grep -q " passed" library.out && [[ "$(tail -n 1 library.out)" == 0 ]]
echo "  $(grep -m 1 ' passed' library.out)"

say "the package's TypeScript simulator (examples/ts-sim), compiled with tsc --strict and run on riscv64 mmu and tlb"
mkdir -p ts-sim
cp node_modules/ptvec/examples/ts-sim/{sim,builder,memory,riscv-mmu}.ts ts-sim/
cat >ts-sim/main.ts <<'EOF'
import { exitCode, run } from 'ptvec';
import { tsSimImplementation } from './sim.ts';

const selection = { arch: ['riscv64'], family: ['mmu', 'tlb'] };
const report = await run(tsSimImplementation(), { selection });
const s = report.summary;
console.log(`  ts-sim: ${s.passed} passed, ${s.skipped} skipped of ${s.total}`);
if (s.failed + s.errors + s.problems > 0 || s.passed < 800 || exitCode(report) !== 0)
  throw new Error(`ts-sim: unexpected summary ${JSON.stringify(s)}`);
EOF
npx --no -- tsc --strict --module nodenext --moduleResolution nodenext --target es2022 \
  --rewriteRelativeImportExtensions --outDir ts-sim/out ts-sim/*.ts
node ts-sim/out/main.js

echo "pack-test: all checks passed"
