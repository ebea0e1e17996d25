/* The riscv64 side of the QEMU harness. The harness stays in M-mode; an access is made by an mret
 * to S- or U-mode: a fetch jumps to the VA itself, a load or store runs the stub page (start.S) that
 * the runner maps. Every exception of the lower mode returns to M-mode (medeleg = 0), and the harness
 * reports mcause, mepc, mtval and the loaded byte: it decides nothing about paging.
 *
 * Operations (riscv64-ops.ts encodes them): a header word, bits 7:0 the opcode and bits 39:32 the
 * hart that runs it, then its arguments:
 *   OP_PMP lo hi          PMP: entry 0 NAPOT X over the stub page, entry 2 TOR RWX over [lo, hi)
 *   OP_WRITE pa value     store a word
 *   OP_READ pa            emit the word
 *   OP_SATP value         csrw satp
 *   OP_SFENCE va asid     sfence.vma; header bit 8: rs1 = va (else x0), bit 9: rs2 = asid (else x0)
 *   OP_STATUS bits envcfg mstatus.SUM/MXR := bits, menvcfg := envcfg
 *   OP_ACCESS va pc {pa stamp}*n   header bits 9:8 kind, 10 S (else U), 11 MPRV, 23:16 n, 31:24
 *       the byte a store writes: stamp each pa, mret to pc (or, with bit 11, load or store from
 *       M-mode with mstatus.MPRV = 1), emit mcause (~0: no trap) mepc mtval loaded, then each
 *       pa's word, and put back what the pa held (with the stored byte, if it landed there). */
#include "../common/harness.h"

#define BLOB_PA 0x488000000ull
#define BLOB_BYTES 0x4000000ull
#define RESULT_PA 0x48c000000ull
#define RESULT_BYTES 0x4000000ull
#define STUB_PA 0x480000000ull
#define SIFIVE_TEST 0x100000ul
#define BOOT_PA 0x80000000ull
#define WINDOW_END 0x480000000ull

/* The hart count, written there by QEMU's generic loader (riscv64.ts args). */
#define HARTS_PA 0x487fff000ull
#define MAX_HARTS 2
#define CLINT_MSIP 0x2000000ul
#define MIE_MSIE (1ull << 3)

#define MSTATUS_MPP (3ull << 11)
#define MSTATUS_SUM (1ull << 18)
#define MSTATUS_MXR (1ull << 19)

enum { OP_PMP = 1, OP_WRITE, OP_READ, OP_SATP, OP_SFENCE, OP_STATUS, OP_ACCESS };
enum { KIND_STORE = 1, KIND_FETCH = 2 };
#define OP_MPRV (1ull << 11)
#define MAX_STAMPS 16

struct trap {
	u64 cause, epc, tval, loaded;
};

u64 enter_lower(u64 pc, u64 va, u64 val, struct trap *t);
void mprv_access(u64 va, u64 val, u64 store, struct trap *t);
void arch_main(u64 fdt) __attribute__((noreturn));
void hart_main(u64 hart) __attribute__((noreturn));
static u64 harts;
void m_trap_c(void) __attribute__((noreturn));

#define csr_read(csr)                                              \
	({                                                         \
		u64 __v;                                           \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v));    \
		__v;                                               \
	})
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"rK"(val) : "memory")

static inline volatile u64 *word(u64 pa)
{
	return (volatile u64 *)pa;
}

void *arch_phys(u64 pa)
{
	return (void *)pa;
}

void arch_exit(int code)
{
	*(volatile u32 *)SIFIVE_TEST = code ? ((u32)code << 16) | 0x3333 : 0x5555;
	for (;;)
		__asm__ volatile("wfi");
}

void m_trap_c(void)
{
	arch_exit(EXIT_TRAP);
}

void arch_vector_begin(void)
{
}

static void set_mpp(u64 priv)
{
	u64 s = csr_read(mstatus);

	/* A write that changes MPP makes QEMU flush its TLB: only write when it differs. */
	if ((s & MSTATUS_MPP) != priv << 11)
		csr_write(mstatus, (s & ~MSTATUS_MPP) | priv << 11);
}

static void sfence(u64 hdr, u64 va, u64 asid)
{
	switch ((hdr >> 8) & 3) {
	case 0:
		__asm__ volatile("sfence.vma zero, zero" ::: "memory");
		break;
	case 1:
		__asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
		break;
	case 2:
		__asm__ volatile("sfence.vma zero, %0" ::"r"(asid) : "memory");
		break;
	default:
		__asm__ volatile("sfence.vma %0, %1" ::"r"(va), "r"(asid) : "memory");
	}
}

static const u64 *access(u64 hdr, const u64 *a, const u64 *end)
{
	u64 kind = (hdr >> 8) & 3, priv = (hdr >> 10) & 1, n = (hdr >> 16) & 0xff;
	u64 val = (hdr >> 24) & 0xff, orig[MAX_STAMPS];
	const u64 *st = a + 2;
	struct trap t;

	if (n > MAX_STAMPS || a + 2 + 2 * n > end)
		return 0;
	for (u64 i = 0; i < n; i++) {
		orig[i] = *word(st[2 * i]);
		*word(st[2 * i]) = st[2 * i + 1];
	}
	if (kind == KIND_FETCH)
		__asm__ volatile("fence.i" ::: "memory");
	set_mpp(priv);
	if (hdr & OP_MPRV)
		mprv_access(a[0], val, kind == KIND_STORE, &t);
	else
		enter_lower(a[1], a[0], val, &t);
	emit(t.cause);
	emit(t.epc);
	emit(t.tval);
	emit(t.loaded);
	for (u64 i = 0; i < n; i++) {
		u64 pa = st[2 * i], stamp = st[2 * i + 1], now = *word(pa);
		u64 byte = 0xffull << ((pa & 7) * 8);

		emit(now);
		/* A store that landed here keeps its byte. */
		if (now != stamp)
			orig[i] = (orig[i] & ~byte) | (now & byte);
		*word(pa) = orig[i];
	}
	if (kind == KIND_FETCH)
		__asm__ volatile("fence.i" ::: "memory");
	return st + 2 * n;
}

static const u64 *run_op(const u64 *op, const u64 *end)
{
	u64 hdr = op[0];
	const u64 *a = op + 1;
	u64 s;

	switch (hdr & 0xff) {
	case OP_PMP:
		if (a + 2 > end)
			return 0;
		csr_write(pmpaddr0, (STUB_PA >> 2) | 0x1ff);
		csr_write(pmpaddr1, a[0] >> 2);
		csr_write(pmpaddr2, a[1] >> 2);
		/* entry 0: NAPOT, X; entry 1: OFF; entry 2: TOR, RWX. */
		csr_write(pmpcfg0, 0x0f001cull);
		return a + 2;
	case OP_WRITE:
		if (a + 2 > end)
			return 0;
		*word(a[0]) = a[1];
		return a + 2;
	case OP_READ:
		if (a + 1 > end)
			return 0;
		emit(*word(a[0]));
		return a + 1;
	case OP_SATP:
		if (a + 1 > end)
			return 0;
		csr_write(satp, a[0]);
		return a + 1;
	case OP_SFENCE:
		if (a + 2 > end)
			return 0;
		sfence(hdr, a[0], a[1]);
		return a + 2;
	case OP_STATUS:
		if (a + 2 > end)
			return 0;
		s = csr_read(mstatus);
		if ((s & (MSTATUS_SUM | MSTATUS_MXR)) != a[0])
			csr_write(mstatus, (s & ~(MSTATUS_SUM | MSTATUS_MXR)) | a[0]);
		csr_write(0x30a, a[1]); /* menvcfg */
		return a + 2;
	case OP_ACCESS:
		if (a + 2 > end)
			return 0;
		return access(hdr, a, end);
	}
	return 0;
}

/* Hart 0 hands an operation for another hart to it through a mailbox and a machine software
 * interrupt (CLINT MSIP), and waits for it; the other harts sleep in wfi between operations. */
static struct mailbox {
	const u64 *volatile op, *volatile end, *volatile next;
	volatile u64 pending, done, ready;
} mailbox[MAX_HARTS];

const u64 *arch_op(const u64 *op, const u64 *end)
{
	u64 hart = (op[0] >> 32) & 0xff;
	struct mailbox *m = &mailbox[hart];
	const u64 *next;

	if (hart == 0)
		return run_op(op, end);
	if (hart >= harts)
		return 0;
	m->op = op;
	m->end = end;
	m->done = 0;
	__asm__ volatile("fence rw, rw" ::: "memory");
	m->pending = 1;
	__asm__ volatile("fence rw, rw" ::: "memory");
	*(volatile u32 *)(CLINT_MSIP + 4 * hart) = 1;
	while (!m->done)
		;
	__asm__ volatile("fence rw, rw" ::: "memory");
	next = m->next;
	return next;
}

void hart_main(u64 hart)
{
	struct mailbox *m = &mailbox[hart];

	csr_write(mie, MIE_MSIE);
	__asm__ volatile("fence rw, rw" ::: "memory");
	m->ready = 1;
	for (;;) {
		__asm__ volatile("wfi");
		*(volatile u32 *)(CLINT_MSIP + 4 * hart) = 0;
		__asm__ volatile("fence rw, rw" ::: "memory");
		if (!m->pending)
			continue;
		m->pending = 0;
		m->next = run_op(m->op, m->end);
		__asm__ volatile("fence rw, rw" ::: "memory");
		m->done = 1;
	}
}

static u32 be32(const volatile u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

void arch_main(u64 fdt)
{
	harts = *word(HARTS_PA);
	if (harts < 1 || harts > MAX_HARTS)
		arch_exit(EXIT_BAD_BLOB);
	/* Every hart has left .boot before it is cleared. */
	for (u64 h = 1; h < harts; h++)
		while (!mailbox[h].ready)
			;
	/* The vectors' window reads as zero: .boot and the device tree QEMU put there. */
	word(BOOT_PA)[0] = 0;
	word(BOOT_PA)[1] = 0;
	if (fdt >= BOOT_PA && fdt < WINDOW_END) {
		/* QEMU's copy of the tree may run past its totalsize: clear up to the 2 MiB boundary
		 * above it (QEMU puts the tree 2 MiB aligned below min(RAM end, 3 GiB)). */
		u64 end = (fdt + be32((const volatile u8 *)fdt + 4) + 0x1fffff) & ~0x1fffffull;

		for (u64 p = fdt & ~7ull; p < end && p < WINDOW_END; p += 8)
			*word(p) = 0;
	}
	__asm__ volatile("fence.i" ::: "memory");
	harness_run(BLOB_PA, BLOB_BYTES, RESULT_PA, RESULT_BYTES);
}
