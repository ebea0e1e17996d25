/* The x86_64 side of the QEMU harness. It writes words, loads CR0/CR3/CR4/EFER, runs INVLPG and
 * INVPCID, performs one access at CPL0 or CPL3 and reports the exception it ended in. It decides
 * nothing about paging: every walk, check and A/D update is QEMU's.
 *
 * Every access is entered with IRETQ and ends in an exception:
 *   load/store: the stub (movb (%rdi),%al / movb %sil,(%rdi), then int3); #BP right after the int3
 *     means the access completed.
 *   fetch: IRETQ to the VA with RFLAGS.TF; the runner stamped each place the byte may be with a
 *     one-byte XCHG of %eax with a register holding a distinct number, so the single-step #DB after
 *     it tells which one ran.
 * Emitted for an access: the path words before, then vector, error code, CR2, RIP, RAX, DR6, done,
 * then each stamped word as it was after the access, then the path words after.
 *
 * CPU 1 (-smp 2) is started with INIT-SIPI on the first OP_ON1 and then sleeps in HLT; CPU 0 hands
 * it one operation at a time through a mailbox and an IPI, and waits for it. */
#include "../common/harness.h"
#include "x86_64.h"

struct frame {
  u64 rip, cs, rflags, rsp, ss;
  u64 rax, rbx, rcx, rdx, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15;
};

/* At the start of each CPU's PERCPU_SIZE block (x86_64.h PC_* offsets). */
struct percpu {
  u64 saved_rsp, vec, err, rip, cs, cr2, dr6, rax;
  u64 la57, ac;
  u64 saved[16];
};

#define STAMPS_MAX 16
#define PATH_MAX 8

extern char trap_stubs[], ipi_entry[], stub_page[], stub_load[], stub_load_done[], stub_store[],
    stub_store_done[], gdt[], gdt_tss[], idt[], tss0[], tss1[], percpu0[], percpu1[], ap_tramp[],
    ap_tramp_end[];
extern char pml4_h[], pml5_h[], pml4_k[];
u64 guard(struct percpu *pc, void (*fn)(u64), u64 arg);
void enter(struct percpu *pc, const struct frame *f);
void switch_paging(u64 cr4, u64 cr3);

static inline u64 read_cr0(void) { u64 v; __asm__ volatile("mov %%cr0,%0" : "=r"(v)); return v; }
static inline u64 read_cr4(void) { u64 v; __asm__ volatile("mov %%cr4,%0" : "=r"(v)); return v; }
static inline void write_cr0(u64 v) { __asm__ volatile("mov %0,%%cr0" ::"r"(v) : "memory"); }
static inline void write_cr4_raw(u64 v) { __asm__ volatile("mov %0,%%cr4" ::"r"(v) : "memory"); }
static inline void write_cr3_raw(u64 v) { __asm__ volatile("mov %0,%%cr3" ::"r"(v) : "memory"); }
static inline u64 rdmsr(u32 msr) {
  u32 lo, hi;
  __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v) {
  __asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
}

static u64 phys_of(const void *p) { return (u64)p - HBASE; }

void *arch_phys(u64 pa) { return (void *)(HBASE + pa); }

static volatile u64 *word(u64 pa) { return (volatile u64 *)arch_phys(pa); }
static volatile u32 *lapic(u32 reg) { return (volatile u32 *)arch_phys(LAPIC_PA + reg); }

void arch_exit(int code) {
  __asm__ volatile("outl %0, %1" ::"a"((u32)code), "Nd"((unsigned short)0xf4));
  for (;;) __asm__ volatile("hlt");
}

static void do_write_cr3(u64 v) { write_cr3_raw(v); }
static void do_write_cr4(u64 v) { write_cr4_raw(v); }
static void do_invlpg(u64 va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static void do_invpcid(u64 desc) {
  const u64 *d = (const u64 *)desc;
  __asm__ volatile("invpcid (%0), %1" ::"r"(d), "r"(d[2]) : "memory");
}

/* 0 when it completed, else 1<<63 | vector<<32 | error code. */
static u64 status(const struct percpu *pc, u64 trapped) {
  return trapped ? (1ull << 63) | (pc->vec << 32) | (pc->err & 0xffffffff) : 0;
}

static u64 root_pa(const struct percpu *pc) { return phys_of(pc->la57 ? pml5_h : pml4_h); }
static u64 base_cr4(const struct percpu *pc) { return CR4_PAE | (pc->la57 ? CR4_LA57 : 0); }

/* The machine every vector starts from: the harness root, CR0.WP=1, EFER.NXE=1, CR4 with nothing
 * but PAE (and LA57), AC=0, and an empty TLB (toggling CR4.PGE flushes global entries too). */
static void home(struct percpu *pc) {
  write_cr3_raw(root_pa(pc));
  write_cr4_raw(base_cr4(pc) | CR4_PGE);
  write_cr4_raw(base_cr4(pc));
  write_cr0(read_cr0() | CR0_WP);
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
  pc->ac = 0;
}

static void set_mode(struct percpu *pc, u64 want) {
  if (want == pc->la57) return;
  pc->la57 = want;
  switch_paging(base_cr4(pc), root_pa(pc));
  home(pc);
}

/* CR4 first: a MOV to CR4 that raises #GP changes nothing, so neither do the others. */
static u64 features(struct percpu *pc, u64 cr4_set, u64 cr4_clear, u64 set, u64 clear) {
  const u64 mask = CR4_PGE | CR4_PCIDE | CR4_SMEP | CR4_SMAP;
  u64 cr4 = (read_cr4() | (cr4_set & mask)) & ~(cr4_clear & mask);
  u64 st = status(pc, guard(pc, do_write_cr4, cr4));
  if (st) return st;
  u64 cr0 = read_cr0();
  if (set & FEAT_WP) cr0 |= CR0_WP;
  if (clear & FEAT_WP) cr0 &= ~(u64)CR0_WP;
  write_cr0(cr0);
  u64 efer = rdmsr(MSR_EFER);
  if (set & FEAT_NXE) efer |= EFER_NXE;
  if (clear & FEAT_NXE) efer &= ~(u64)EFER_NXE;
  wrmsr(MSR_EFER, efer);
  if (set & FEAT_AC) pc->ac = 1;
  if (clear & FEAT_AC) pc->ac = 0;
  return 0;
}

/* The harness's top-level entry, as it goes into a vector's root. */
static u64 top_entry(const struct percpu *pc) {
  return pc->la57 ? phys_of(pml4_k) | PTE_TABLE_U : ((const u64 *)pml4_h)[HSLOT4];
}

static const u64 *access(struct percpu *pc, const u64 *op) {
  u64 va = op[1], kind = op[2] & 0xff, cpl3 = (op[2] >> 8) & 1, nstamps = op[3];
  const u64 *stamps = op + 4;
  u64 npath = stamps[2 * nstamps];
  const u64 *path = stamps + 2 * nstamps + 1;
  struct frame f = {0};

  if (nstamps > STAMPS_MAX || npath > PATH_MAX) return 0;
  for (u64 i = 0; i < npath; i++) emit(*word(path[i]));
  for (u64 i = 0; i < nstamps; i++) {
    pc->saved[i] = *word(stamps[2 * i]);
    *word(stamps[2 * i]) = stamps[2 * i + 1];
  }
  f.cs = cpl3 ? GDT_UCODE : GDT_KCODE;
  f.ss = cpl3 ? GDT_UDATA : GDT_KDATA;
  f.rflags = 0x2 | (cpl3 ? 0 : pc->ac ? RFLAGS_AC : 0);
  f.rsp = cpl3 ? USER_VA + 0x1000 : (u64)pc + PERCPU_SCRATCH_TOP;
  u64 base = cpl3 ? USER_VA : (u64)stub_page;
  u64 done = 0;
  if (kind == 2) {
    /* One XCHG %eax,%reg per stamp leaves ecx=1 edx=2 ebx=3 ebp=5 esi=6 edi=7 in %rax. Every
     * register is non-canonical, so an instruction that is no stamp cannot reach memory with it. */
    const u64 nc = 1ull << 63;
    f.rip = va;
    f.rflags |= RFLAGS_TF;
    f.rax = nc;
    f.rcx = nc | 1, f.rdx = nc | 2, f.rbx = nc | 3, f.rbp = nc | 5, f.rsi = nc | 6, f.rdi = nc | 7;
    f.r8 = f.r9 = f.r10 = f.r11 = f.r12 = f.r13 = f.r14 = f.r15 = nc;
  } else {
    f.rip = base + (u64)((kind ? stub_store : stub_load) - stub_page);
    f.rdi = va;
    f.rsi = 0x5c;
    done = base + (u64)((kind ? stub_store_done : stub_load_done) - stub_page);
  }
  pc->vec = ~0ull;
  enter(pc, &f);
  emit(pc->vec);
  emit(pc->err);
  emit(pc->cr2);
  emit(pc->rip);
  emit(pc->rax);
  emit(pc->dr6);
  emit(kind != 2 && pc->vec == 3 && pc->rip == done);
  for (u64 i = 0; i < nstamps; i++) {
    emit(*word(stamps[2 * i]));
    *word(stamps[2 * i]) = pc->saved[i];
  }
  for (u64 i = 0; i < npath; i++) emit(*word(path[i]));
  return path + npath;
}

static const u64 *on_cpu1(const u64 *op, const u64 *end);

static const u64 *op_on(struct percpu *pc, const u64 *op, const u64 *end) {
  switch (op[0]) {
  case OP_MODE:
    if (op + 2 > end) return 0;
    set_mode(pc, op[1]);
    return op + 2;
  case OP_WRITE:
    if (op + 3 > end) return 0;
    *word(op[1]) = op[2];
    return op + 3;
  case OP_READ:
    if (op + 2 > end) return 0;
    emit(*word(op[1]));
    return op + 2;
  case OP_FEATURES:
    if (op + 5 > end) return 0;
    emit(features(pc, op[1], op[2], op[3], op[4]));
    return op + 5;
  case OP_CR3:
    if (op + 3 > end) return 0;
    if (op[2] != ~0ull) *word(op[2]) = top_entry(pc);
    emit(status(pc, guard(pc, do_write_cr3, op[1])));
    return op + 3;
  case OP_INVLPG:
    if (op + 2 > end) return 0;
    guard(pc, do_invlpg, op[1]);
    return op + 2;
  case OP_INVPCID: {
    if (op + 4 > end) return 0;
    u64 desc[3] = {op[2], op[3], op[1]};
    emit(status(pc, guard(pc, do_invpcid, (u64)desc)));
    return op + 4;
  }
  case OP_ACCESS:
    if (op + 4 > end || op + 5 + 2 * op[3] > end) return 0;
    return access(pc, op);
  case OP_HOME:
    home(pc);
    return op + 1;
  case OP_ON1:
    if (pc != (struct percpu *)percpu0 || op + 2 + op[1] > end) return 0;
    return on_cpu1(op + 2, op + 2 + op[1]) == op + 2 + op[1] ? op + 2 + op[1] : 0;
  }
  return 0;
}

const u64 *arch_op(const u64 *op, const u64 *end) {
  return op_on((struct percpu *)percpu0, op, end);
}

void arch_vector_begin(void) { home((struct percpu *)percpu0); }

static void set_gate(int vec, u64 handler, int dpl) {
  u64 *g = (u64 *)(idt + 16 * vec);
  g[0] = (handler & 0xffff) | ((u64)GDT_KCODE << 16) | (1ull << 32) /* IST1 */ |
         (0x8eull << 40) | ((u64)dpl << 45) | (((handler >> 16) & 0xffff) << 48);
  g[1] = handler >> 32;
}

/* This CPU's IDT, GDT, TSS (IST1 and RSP0 in its per-CPU block) and local APIC. */
static void cpu_init(struct percpu *pc, char *tss, int sel) {
  struct {
    unsigned short limit;
    u64 base;
  } __attribute__((packed)) d;
  d.limit = 4095;
  d.base = (u64)idt;
  __asm__ volatile("lidt %0" ::"m"(d));
  u64 t = (u64)tss;
  u64 ist = (u64)pc + PERCPU_IST_TOP;
  *(u64 *)(tss + 4) = ist;           /* RSP0 */
  *(u64 *)(tss + 36) = ist;          /* IST1 */
  *(unsigned short *)(tss + 102) = 104; /* no I/O bitmap */
  u64 *desc = (u64 *)(gdt + sel);
  desc[0] = 103 | ((t & 0xffffff) << 16) | (0x89ull << 40) | (((t >> 24) & 0xff) << 56);
  desc[1] = t >> 32;
  d.limit = 0x4f;
  d.base = (u64)gdt;
  __asm__ volatile("lgdt %0" ::"m"(d));
  __asm__ volatile("ltr %w0" ::"r"(sel));
  *lapic(LAPIC_SVR) = 0x1ff;
  pc->la57 = 0;
}

static volatile u64 ap_ready, mbox_state; /* 0 idle, 1 posted, 2 done */
static const u64 *volatile mbox_op, *volatile mbox_end, *volatile mbox_result;

static void send_ipi(u32 low) {
  *lapic(LAPIC_ICR_HI) = 1u << 24; /* APIC ID 1 */
  *lapic(LAPIC_ICR_LO) = low;
  while (*lapic(LAPIC_ICR_LO) & (1u << 12)) __asm__ volatile("pause");
}

static void wait_for(volatile u64 *flag, u64 value) {
  for (u64 n = 0; *flag != value; n++) {
    if (n > (1ull << 32)) arch_exit(EXIT_TRAP);
    __asm__ volatile("pause" ::: "memory");
  }
}

static const u64 *on_cpu1(const u64 *op, const u64 *end) {
  if (!ap_ready) {
    volatile char *to = arch_phys(AP_TRAMP_PA);
    for (const char *p = ap_tramp; p < ap_tramp_end; p++) *to++ = *p;
    send_ipi(0x4500);                         /* INIT */
    send_ipi(0x4600 | (AP_TRAMP_PA >> 12));   /* SIPI */
    wait_for(&ap_ready, 1);
  }
  mbox_op = op;
  mbox_end = end;
  __asm__ volatile("" ::: "memory");
  mbox_state = 1;
  send_ipi(IPI_VECTOR);
  wait_for(&mbox_state, 2);
  mbox_state = 0;
  return mbox_result;
}

void ap_main(void) {
  struct percpu *pc = (struct percpu *)percpu1;
  cpu_init(pc, tss1, GDT_TSS1);
  ap_ready = 1;
  for (;;) {
    __asm__ volatile("cli" ::: "memory");
    if (mbox_state == 1) {
      mbox_result = op_on(pc, mbox_op, mbox_end);
      __asm__ volatile("" ::: "memory");
      mbox_state = 2;
      continue;
    }
    __asm__ volatile("sti; hlt" ::: "memory");
  }
}

void harness_main(void) {
  for (int v = 0; v < 256; v++) set_gate(v, (u64)trap_stubs + 16 * v, v == 3 ? 3 : 0);
  set_gate(IPI_VECTOR, (u64)ipi_entry, 0);
  cpu_init((struct percpu *)percpu0, tss0, GDT_TSS);
  harness_run(BLOB_PA, BLOB_BYTES, RESULT_PA, RESULT_BYTES);
}
