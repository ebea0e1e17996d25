#!/usr/bin/env bash
# Build the arm64 QEMU harness: OUTDIR/arm64.elf (qemu-system-aarch64 -M virt -kernel).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUTDIR}"
mkdir -p "$out"
cc="${CROSS_COMPILE:-aarch64-linux-gnu-}gcc"
"$cc" -O2 -g -nostdlib -ffreestanding -fno-pic -static -mgeneral-regs-only -mstrict-align \
	-march=armv8.2-a -mcmodel=small -fno-stack-protector -fno-asynchronous-unwind-tables \
	-Wall -Wextra -Werror -Wl,--build-id=none -Wl,-n -Wl,--no-warn-rwx-segments -T "$here/link.ld" \
	-o "$out/arm64.elf" "$here/start.S" "$here/arch.c" "$here/../common/harness.c"
