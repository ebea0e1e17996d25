/* The benches' C baselines read their inputs whole: a page-table image, a list of VAs. */
#include <stdio.h>
#include <stdlib.h>

static void *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  void *p = malloc(*len);
  if (fread(p, 1, *len, f) != *len) { perror(path); exit(2); }
  fclose(f);
  return p;
}
