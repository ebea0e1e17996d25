/* The bench's baseline for walk_page_range: a C loop over the same x86_64 4-level page-table image
 * with mm/pagewalk.c's structure (per level: skip none entries, descend tables; at the PTE level
 * call pte_entry for every PTE, empty ones included) and a counting pte_entry called through a
 * function pointer. Usage: pagewalk IMAGE TABLES_PA ROOT_PA START END
 * Prints "<pte visits> <ns per visit> <checksum>". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "slurp.h"

static uint64_t *img;
static uint64_t base;
static uint64_t visits, sum;

typedef int (*pte_entry_fn)(uint64_t *pte, uint64_t addr, uint64_t next);

static int __attribute__((noinline)) count_pte(uint64_t *pte, uint64_t addr, uint64_t next) {
  (void)next;
  visits++;
  (void)addr;
  sum += *pte & 1;
  return 0;
}

static uint64_t *table(uint64_t e) { return img + (((e & 0x000ffffffffff000ull) - base) / 8); }

static int walk(uint64_t *t, int level, uint64_t addr, uint64_t end, pte_entry_fn cb) {
  unsigned shift = 12 + 9 * level;
  do {
    uint64_t size = 1ull << shift;
    uint64_t boundary = (addr + size) & ~(size - 1);
    uint64_t next = boundary - 1 < end - 1 ? boundary : end;
    uint64_t *e = t + ((addr >> shift) & 511);
    if (level == 0) {
      int err = cb(e, addr, next);
      if (err) return err;
    } else if ((*e & ~0x60ull) != 0 && !(*e & 0x80)) { /* not none (A/D ignored), not a leaf */
      int err = walk(table(*e), level - 1, addr, next, cb);
      if (err) return err;
    }
    addr = next;
  } while (addr != end);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 6) { fprintf(stderr, "usage: pagewalk IMAGE TABLES_PA ROOT_PA START END\n"); return 2; }
  size_t ilen;
  img = slurp(argv[1], &ilen);
  base = strtoull(argv[2], 0, 0);
  uint64_t *root = img + (strtoull(argv[3], 0, 0) - base) / 8;
  uint64_t start = strtoull(argv[4], 0, 0), end = strtoull(argv[5], 0, 0);
  double best = 1e30;
  uint64_t n = 0, s = 0;
  for (int rep = 0; rep < 5; rep++) {
    struct timespec t0, t1;
    visits = sum = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    walk(root, 3, start, end, count_pte);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    if (ns < best) best = ns;
    n = visits;
    s = sum;
  }
  printf("%llu %.3f %llu\n", (unsigned long long)n, best / n, (unsigned long long)s);
  return 0;
}
