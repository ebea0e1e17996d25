#include "harness.h"

static volatile u64 *out, *out_end;

void emit(u64 word) {
  if (out >= out_end) arch_exit(EXIT_OVERFLOW);
  *out++ = word;
}

void harness_run(u64 blob_pa, u64 blob_bytes, u64 result_pa, u64 result_bytes) {
  const u64 *blob = arch_phys(blob_pa);
  const u64 *blob_end = blob + blob_bytes / 8;
  volatile u64 *res = arch_phys(result_pa);
  if (blob[0] != BLOB_MAGIC) arch_exit(EXIT_BAD_BLOB);
  u64 n = blob[1];
  const u64 *p = blob + 2;
  res[0] = RESULT_MAGIC;
  res[1] = 0;
  res[2] = 0;
  res[3] = 0;
  volatile u64 *o = res + 4;
  out_end = res + result_bytes / 8;
  for (u64 i = 0; i < n; i++) {
    if (p >= blob_end) arch_exit(EXIT_BAD_BLOB);
    u64 words = *p++;
    const u64 *end = p + words;
    if (end > blob_end || end < p) arch_exit(EXIT_BAD_BLOB);
    volatile u64 *count = o;
    out = o + 1;
    if (out > out_end) arch_exit(EXIT_OVERFLOW);
    arch_vector_begin();
    while (p < end) {
      p = arch_op(p, end);
      if (!p || p > end) arch_exit(EXIT_BAD_OP);
    }
    *count = (u64)(out - count - 1);
    o = out;
    res[2] = (u64)(o - (res + 4));
    res[1] = i + 1;
  }
  res[3] = END_MAGIC;
  arch_exit(EXIT_DONE);
}
