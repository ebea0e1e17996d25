/* The bench's baseline: a small x86_64 4-level walker in C over the page-table image the engine built
 * (SDM §4.5: P, PS for 1G/2M leaves, PFN bits 51:12). Usage: walker IMAGE TABLES_PA ROOT_PA VAS
 * Prints "<translations> <ns per translation> <checksum>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "slurp.h"

static uint64_t *img;
static uint64_t base;

static uint64_t walk(uint64_t root, uint64_t va) {
  uint64_t table = root;
  for (int level = 3; level >= 0; level--) {
    unsigned shift = 12 + 9 * level;
    uint64_t e = img[(table - base) / 8 + ((va >> shift) & 511)];
    if (!(e & 1)) return ~0ull;
    uint64_t addr = e & 0x000ffffffffff000ull;
    if (level == 0 || (level < 3 && (e & 0x80))) {
      uint64_t size = 1ull << shift;
      return (addr & ~(size - 1)) | (va & (size - 1));
    }
    table = addr;
  }
  return ~0ull;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: walker IMAGE TABLES_PA ROOT_PA VAS\n"); return 2; }
  size_t ilen, vlen;
  img = slurp(argv[1], &ilen);
  base = strtoull(argv[2], 0, 0);
  uint64_t root = strtoull(argv[3], 0, 0);
  uint64_t *vas = slurp(argv[4], &vlen);
  size_t n = vlen / 8;
  uint64_t sum = 0;
  struct timespec t0, t1;
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    sum = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t i = 0; i < n; i++) sum += walk(root, vas[i]);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    if (ns < best) best = ns;
  }
  printf("%zu %.2f %llu\n", n, best / n, (unsigned long long)sum);
  return 0;
}
