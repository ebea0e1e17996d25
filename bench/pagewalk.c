/* The bench's baseline for walk_page_range: a C loop over the same x86_64 4-level page-table image
 * with mm/pagewalk.c's structure (per level: skip none entries, descend tables; at the PTE level
 * call pte_entry for every PTE, empty ones included) and a counting pte_entry called through a
 * function pointer. With "clean" it is clean_record_shared_mapping_range's baseline instead: the
 * pte_entry tests and clears D, sets the page's bit in a bitmap and keeps the count and the flush
 * range, and each pass starts from the image as read.
 * With "uffd" it is UFFDIO_WRITEPROTECT's baseline: each pass sets the uffd-wp bit (10) and clears RW
 * (bit 1) of every present PTE, then a second walk clears the uffd-wp bit again; the time is of both.
 * Usage: pagewalk IMAGE TABLES_PA ROOT_PA START END [clean|uffd]
 * Prints "<pte visits> <ns per visit> <checksum>" (the checksum: the PTEs cleaned, with "clean"; the
 * PTEs protected, with "uffd"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "slurp.h"

static uint64_t *img;
static uint64_t base;
static uint64_t visits, sum;

typedef int (*pte_entry_fn)(uint64_t *pte, uint64_t addr, uint64_t next);

static uint64_t *bitmap, first, flush_start, flush_end;

/* mm/mapping_dirty_helpers.c:89 clean_record_pte, for x86_64 (_PAGE_DIRTY is bit 6). */
static int __attribute__((noinline)) clean_pte(uint64_t *pte, uint64_t addr, uint64_t next) {
  (void)next;
  visits++;
  if (*pte & 0x40) {
    uint64_t pgoff = (addr - first) >> 12;
    *pte &= ~0x40ull;
    sum++;
    if (addr < flush_start) flush_start = addr;
    if (addr + 4096 > flush_end) flush_end = addr + 4096;
    bitmap[pgoff / 64] |= 1ull << (pgoff % 64);
  }
  return 0;
}

/* mm/mprotect.c change_pte_range with MM_CP_UFFD_WP and _RESOLVE: x86 pte_mkuffd_wp / pte_clear_uffd_wp. */
static int __attribute__((noinline)) uffd_wp_pte(uint64_t *pte, uint64_t addr, uint64_t next) {
  (void)addr;
  (void)next;
  visits++;
  if (*pte & 1) {
    *pte = (*pte | 0x400) & ~0x2ull;
    sum++;
  }
  return 0;
}
static int __attribute__((noinline)) uffd_resolve_pte(uint64_t *pte, uint64_t addr, uint64_t next) {
  (void)addr;
  (void)next;
  if (*pte & 1) *pte &= ~0x400ull;
  return 0;
}

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
  if (argc != 6 && argc != 7) {
    fprintf(stderr, "usage: pagewalk IMAGE TABLES_PA ROOT_PA START END [clean|uffd]\n");
    return 2;
  }
  size_t ilen;
  img = slurp(argv[1], &ilen);
  int clean = argc == 7 && !strcmp(argv[6], "clean");
  int uffd = argc == 7 && !strcmp(argv[6], "uffd");
  uint64_t *orig = malloc(ilen);
  memcpy(orig, img, ilen);
  base = strtoull(argv[2], 0, 0);
  uint64_t *root = img + (strtoull(argv[3], 0, 0) - base) / 8;
  uint64_t start = strtoull(argv[4], 0, 0), end = strtoull(argv[5], 0, 0);
  double best = 1e30;
  uint64_t n = 0, s = 0;
  for (int rep = 0; rep < 9; rep++) {
    struct timespec t0, t1;
    visits = sum = 0;
    memcpy(img, orig, ilen);
    first = start;
    flush_start = end;
    flush_end = start;
    free(bitmap);
    bitmap = calloc((end - start) / 4096 / 64 + 1, 8);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    walk(root, 3, start, end, clean ? clean_pte : uffd ? uffd_wp_pte : count_pte);
    if (uffd) walk(root, 3, start, end, uffd_resolve_pte);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
    if (ns < best) best = ns;
    n = visits;
    s = sum;
  }
  printf("%llu %.3f %llu\n", (unsigned long long)n, best / n, (unsigned long long)s);
  return 0;
}
