#!/usr/bin/env bash
# Build the x86_64 QEMU harness into OUTDIR/x86_64.elf with the host gcc: a 64-bit image linked at
# its physical addresses, converted to ELF32 because QEMU's multiboot loader takes only ELF32.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUTDIR}"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
gcc -m64 -O2 -fpie -ffreestanding -fno-builtin -fno-stack-protector -fno-asynchronous-unwind-tables \
  -mgeneral-regs-only -mno-red-zone -nostdlib -nostartfiles -static -no-pie -Wall -Wextra -Werror \
  -T "$here/link.ld" -Wl,--no-warn-rwx-segments,-z,max-page-size=4096,--build-id=none \
  -o "$tmp/x86_64.elf64" "$here/start.S" "$here/arch.c" "$here/../common/harness.c"
objcopy -O elf32-i386 "$tmp/x86_64.elf64" "$out/x86_64.elf"
