#!/bin/sh
# Builds ptvec-c: build.sh OUTDIR [-DPTVEC_BUG_<NAME> ...]  ->  OUTDIR/ptvec-c
# Needs cc, pkg-config and jansson (Debian: libjansson-dev). The x86_64 pte target is built in when
# x86_pte.c is present.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: $0 OUTDIR [cc flags, e.g. -DPTVEC_BUG_STVAL_PAGE_BASE]" >&2
    exit 2
fi
out=$1
shift
src=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$src"

sources="main.c steps.c riscv_mmu.c"
x86=""
if [ -f x86_pte.c ]; then
    sources="$sources x86_pte.c"
    x86="-DPTVEC_WITH_X86"
fi

# shellcheck disable=SC2086 # word splitting of the source list and pkg-config output is wanted
cc -std=c11 -O2 -Wall -Wextra -Werror $x86 "$@" $(pkg-config --cflags jansson) \
    -o "$out/ptvec-c" $sources $(pkg-config --libs jansson)
