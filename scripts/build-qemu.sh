#!/usr/bin/env bash
# Build the three bare-metal QEMU harnesses (harness/qemu/<arch>/) into OUTDIR (default build/qemu)
# with Debian's cross compilers: riscv64-unknown-elf-gcc, aarch64-linux-gnu-gcc, and the host gcc.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/qemu}"
mkdir -p "$out"
for arch in riscv64 arm64 x86_64; do
  bash "$root/harness/qemu/$arch/build.sh" "$out"
done
