/* What this machine's real kernel shows user space of the fault family's claims: which stores fault
 * (the minor-fault count of getrusage) and which signal an access gets. Each line names the claim of
 * the vectors it checks (vectors/fault/<arch>/loop-page-mkwrite.json, mprotect.json, loop-anon.json,
 * loop-signals.json). Needs a directory on a filesystem with page_mkwrite (ext4, xfs, btrfs) and
 * /dev/shm (tmpfs). Not a test: its answers depend on the kernel and the filesystem it runs on.
 *   cc -O1 -o real-kernel scripts/real-kernel.c && ./real-kernel /var/tmp
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static long minflt(void) { struct rusage u; getrusage(RUSAGE_SELF, &u); return u.ru_minflt + u.ru_majflt; }
static sigjmp_buf jb; static volatile int sig;
static void onsig(int s, siginfo_t *si, void *c) { (void)si; (void)c; sig = s; siglongjmp(jb, 1); }
#define FAULTS(expr) ({ long f0 = minflt(); expr; minflt() - f0; })

static int file(const char *dir, long ps) {
  char p[4096]; snprintf(p, sizeof p, "%s/real.bin", dir);
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
  char *buf = calloc(1, ps); for (int i = 0; i < 4; i++) if (write(fd, buf, ps) != ps) exit(1);
  fsync(fd); unlink(p); return fd;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  long ps = sysconf(_SC_PAGESIZE);
  struct sigaction sa = {0}; sa.sa_sigaction = onsig; sa.sa_flags = SA_SIGINFO;
  sigaction(SIGBUS, &sa, 0); sigaction(SIGSEGV, &sa, 0);
  volatile char *p; volatile char x;
  int fd = file(dir, ps);
  p = mmap(0, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  printf("A shared file: read faults %ld\n", FAULTS(x = p[0]));
  printf("A shared file: first store after a read faults %ld (page_mkwrite)\n", FAULTS(p[0] = 1));
  printf("B second store faults %ld\n", FAULTS(p[0] = 2));
  mprotect((void *)p, ps, PROT_READ); mprotect((void *)p, ps, PROT_READ | PROT_WRITE);
  printf("C store after mprotect RO->RW of a dirty PTE faults %ld (upgraded at once if 0)\n", FAULTS(p[0] = 3));
  msync((void *)p, ps, MS_SYNC);
  printf("D store after msync (folio_mkclean write-protects) faults %ld\n", FAULTS(p[0] = 4));
  msync((void *)p, ps, MS_SYNC);
  mprotect((void *)p, ps, PROT_READ); mprotect((void *)p, ps, PROT_READ | PROT_WRITE);
  printf("D2 store after msync + mprotect RO->RW of a clean PTE faults %ld (not upgraded if 1)\n", FAULTS(p[0] = 5));
  x = p[ps];
  if (ftruncate(fd, ps) != 0) return 1;
  sig = 0;
  if (!sigsetjmp(jb, 1)) p[ps] = 1;
  printf("E store to a truncated page: signal %s\n", sig == SIGBUS ? "SIGBUS" : sig == SIGSEGV ? "SIGSEGV" : "none");
  p = mmap(0, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("F private anon: read faults %ld (zero page)\n", FAULTS(x = p[0]));
  printf("F private anon: store after read faults %ld (COW of the zero page)\n", FAULTS(p[0] = 1));
  printf("F private anon: second store faults %ld\n", FAULTS(p[0] = 2));
  int sfd = file("/dev/shm", ps);
  p = mmap(0, ps, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
  printf("G tmpfs shared: read faults %ld\n", FAULTS(x = p[0]));
  printf("G tmpfs shared: store after read faults %ld (no writenotify: 0)\n", FAULTS(p[0] = 1));
  p = mmap(0, ps, PROT_READ, MAP_SHARED, fd, 0);
  sig = 0;
  if (!sigsetjmp(jb, 1)) p[0] = 1;
  printf("H store to a PROT_READ shared mapping: signal %s\n", sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS" : "none");
  (void)x;
  return 0;
}
