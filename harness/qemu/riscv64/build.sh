#!/usr/bin/env bash
# Build the riscv64 QEMU harness into OUTDIR/riscv64.elf with Debian's riscv64-unknown-elf-gcc.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUTDIR}"
mkdir -p "$out"
riscv64-unknown-elf-gcc -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -O2 \
  -ffreestanding -fno-builtin -nostdlib -nostartfiles -static -Wall -Wextra -Werror \
  -T "$here/riscv64.ld" -Wl,--no-relax,--no-warn-rwx-segments -o "$out/riscv64.elf" \
  "$here/start.S" "$here/arch.c" "$here/../common/harness.c"
