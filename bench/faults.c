// npm run bench, the fault loop's baseline: real write faults on this machine's kernel. A shared
// mapping of a file (in the directory given) is read page by page, so that every PTE is read-only
// (writenotify), then stored to page by page: each store is a write fault through the
// filesystem's page_mkwrite (do_wp_page -> wp_page_shared). The minor-fault count says whether each
// store faulted. Prints: pages, stores' ns, minor faults during the stores, filesystem magic.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

static long minflt(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: faults DIR PAGES ROUNDS\n");
    return 2;
  }
  const long pages = atol(argv[2]), rounds = atol(argv[3]);
  const long ps = sysconf(_SC_PAGESIZE);
  char path[4096];
  snprintf(path, sizeof path, "%s/faults.bin", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  // Real blocks behind every page (no holes for page_mkwrite to allocate), written back and clean.
  char *buf = calloc(1, ps);
  for (long i = 0; fd >= 0 && i < pages; i++)
    if (write(fd, buf, ps) != ps) {
      perror("write");
      return 1;
    }
  if (fd < 0 || fsync(fd) != 0) {
    perror(path);
    return 1;
  }
  struct statfs fs;
  fstatfs(fd, &fs);
  double best = 0;
  long faults = 0;
  volatile unsigned sum = 0;
  for (long r = 0; r < rounds; r++) {
    char *p = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      perror("mmap");
      return 1;
    }
    for (long i = 0; i < pages; i++) sum += (unsigned char)p[i * ps];
    long f0 = minflt();
    double t0 = now_ns();
    for (long i = 0; i < pages; i++) p[i * ps + 16] = (char)r;
    double t = now_ns() - t0;
    long f = minflt() - f0;
    if (r == 0 || t < best) best = t, faults = f;
    munmap(p, pages * ps);
    fsync(fd); // clean again: the next round's stores fault as the first did
  }
  unlink(path);
  printf("%ld %.0f %ld %lx\n", pages, best, faults, (unsigned long)fs.f_type);
  return 0;
}
