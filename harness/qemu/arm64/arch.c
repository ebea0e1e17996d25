/* arm64 side of the QEMU harness: EL1 with the MMU on. The harness lives in TTBR1 (KBASE + PA, its
 * own tables, global entries); TTBR0, its ASID and the TCR/SCTLR bits of the vector are whatever the
 * operations say. A vector that gives TTBR1 a root gets the harness's own top-level entries copied
 * into slots it never uses (OP_HMAP), so the harness stays mapped while that root is in TTBR1.
 * Every walk, permission check, AF/DBM update and TLB decision is QEMU's: the harness only writes
 * words, sets registers, runs TLBIs and performs one access, reporting ESR/FAR/ELR and the bytes it
 * saw. */
#include "../common/harness.h"
#include "arm64.h"

enum {
	OP_CONFIG = 1,     /* h, tcr, sctlr, ttbr0, pan */
	OP_WRITES = 2,     /* h|n<<32, (pa, value) * n */
	OP_READ = 3,       /* h|slot<<16, pa: emits the word */
	OP_WRITE_SLOT = 4, /* h|slot<<16, pa: writes what OP_READ saved in slot */
	OP_TTBR0 = 5,      /* h, value */
	OP_TLBI = 6,       /* h|type<<16, Xt */
	OP_ACCESS = 7,     /* h|kind<<16|nstamp<<32|npath<<48, va, value, (pa|width<<56, stamp) * nstamp, pa * npath */
	OP_HMAP = 8,       /* h|first<<16|count<<32, root: root[first..] = the harness's own entries */
	OP_TTBR1 = 9,      /* h, ttbr1 (0: the harness's own root), TCR_EL1 T1SZ|TG1 (0: the harness's) */
};

/* Descriptor bits (Arm ARM D8.3). */
#define D_TABLE 3ULL
#define D_BLOCK 1ULL
#define D_PAGE 3ULL
#define D_DEVICE (1ULL << 2)
#define D_SH (3ULL << 8)
#define D_AF (1ULL << 10)
#define D_RO (2ULL << 6)
#define D_PXN (1ULL << 53)
#define D_UXN (1ULL << 54)
#define D_NORMAL (D_SH | D_AF)

/* TCR_EL1.T1SZ and TG1. */
#define T1_MASK ((0x3fULL << 16) | (3ULL << 30))
#define T1_HARNESS ((T1SZ_HARNESS << 16) | (2ULL << 30))

#define GICD (KBASE + 0x08000000)
#define GICC (KBASE + 0x08010000)

struct cpu {
	u64 regs[13];
	u64 esr, far, elr, spsr, x1, armed;
	u64 pan;
	const u64 *volatile op;
	const u64 *volatile next;
	volatile u64 online;
} __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct cpu, esr) == CPU_ESR, "CPU_ESR");
_Static_assert(__builtin_offsetof(struct cpu, armed) == CPU_ARMED, "CPU_ARMED");

struct cpu cpus[2];
unsigned char stacks[2][STACK_BYTES] __attribute__((aligned(4096)));
/* TTBR1_EL1's root for every granule and T1SZ the harness allows (boot_tables). */
u64 ttbr1_l1[8192] __attribute__((aligned(65536)));
u64 idmap_l1[512] __attribute__((aligned(4096)));
static u64 l1_4k[512] __attribute__((aligned(4096)));
static u64 l2_dev[512] __attribute__((aligned(4096)));
static u64 l2_hi[512] __attribute__((aligned(4096)));
static u64 l3_img[512] __attribute__((aligned(4096)));
static u64 l2_16k[2048] __attribute__((aligned(16384)));
static u64 l3_16k[2048] __attribute__((aligned(16384)));
static u64 l2_64k[8192] __attribute__((aligned(65536)));
static u64 l3_64k_dev[8192] __attribute__((aligned(65536)));
static u64 l3_64k_hi[8192] __attribute__((aligned(65536)));
static u64 slots[256];
extern char _text[], _etext[], _el0_stub[], _end[];
extern void secondary_start(void);

u64 arch_try(struct cpu *c, u64 kind, u64 va, u64 value);
void semihost_exit(u64 code) __attribute__((noreturn));
void cpu_main(u64 idx) __attribute__((noreturn));
void trap_unexpected(u64 esr, u64 elr, u64 far) __attribute__((noreturn));

#define sysreg_read(r) ({ u64 __v; asm volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define sysreg_write(r, v) asm volatile("msr " #r ", %0" ::"r"((u64)(v)) : "memory")

static inline volatile u64 *mmio(u64 va) { return (volatile u64 *)va; }
static inline void w32(u64 va, u32 v) { *(volatile u32 *)va = v; }
static inline u32 r32(u64 va) { return *(volatile u32 *)va; }

#define SZ_2M (1ULL << 21)
#define BLOCK_XN (D_BLOCK | D_NORMAL | D_PXN | D_UXN)
#define DEVICE_XN (D_DEVICE | D_AF | D_PXN | D_UXN)

/* The index of KBASE + pa in a table whose entries map 1 << shift bytes. */
static inline u64 kidx(u64 pa, u64 shift, u64 entries)
{
	return ((KBASE + pa) >> shift) & (entries - 1);
}

/* A page of the image: code read-only, the EL0 stub executable at EL0 only (no data access at EL0),
 * data read-write; anything else in the 2 MiB at PHYS_BASE is data. */
static u64 image_page(u64 pa)
{
	if (pa < (u64)_etext)
		return pa | D_PAGE | D_NORMAL | D_RO | D_UXN;
	if (pa >= (u64)_el0_stub && pa < PHYS_BASE + SZ_2M)
		return pa | D_PAGE | D_NORMAL | D_RO | D_PXN;
	return pa | D_PAGE | D_NORMAL | D_PXN | D_UXN;
}

static void zero(u64 *t, u64 n)
{
	while (n--)
		t[n] = 0;
}

/* A 64K-granule level-2 table's entries for KBASE + [0, 4 GiB): 512 MiB each. */
static void fill_l2_64k(u64 *t)
{
	u64 pa;

	for (pa = 0; pa < 0x100000000ULL; pa += 1ULL << 29)
		t[kidx(pa, 29, 8192)] = pa >= 0x40000000ULL ? pa | BLOCK_XN : 0;
	t[kidx(0, 29, 8192)] = (u64)l3_64k_dev | D_TABLE;
	t[kidx(PHYS_BASE, 29, 8192)] = (u64)l3_64k_hi | D_TABLE;
}

/*
 * Runs at PA with the MMU off: every address below is PC-relative, so it is the PA. The harness
 * maps KBASE + PA for [0, 4 GiB) (devices, the vectors' window, its image, blob and result) with
 * one root, ttbr1_l1, that serves each granule and T1SZ a vector may give TTBR1_EL1 (4K: T1SZ 30,
 * 25, 16; 16K: 17; 64K: 22, 16). Each reads KBASE at its own indices (0-3, 496-499, 511; 2047;
 * 8160-8167; 63), so TCR_EL1.TG1 and T1SZ can change while this root is in TTBR1_EL1 (Arm ARM
 * D8.2: the start level, the table size and the index bits follow from TG1 and T1SZ).
 */
void boot_tables(void)
{
	u64 end = (u64)_end, pa, i;

	if (end > (u64)_el0_stub)
		semihost_exit(EXIT_TRAP);
	zero(ttbr1_l1, 8192);
	zero(idmap_l1, 512);
	zero(l1_4k, 512);
	zero(l2_dev, 512);
	zero(l3_16k, 2048);
	zero(l2_16k, 2048);
	zero(l3_64k_dev, 8192);
	zero(l3_64k_hi, 8192);
	/* 4K granule. */
	for (i = 0; i < 512; i++) {
		l2_hi[i] = (PHYS_BASE + (i << 21)) | BLOCK_XN;
		l3_img[i] = image_page(PHYS_BASE + (i << 12));
	}
	l1_4k[0] = (u64)l2_dev | D_TABLE;
	l1_4k[1] = 0x40000000ULL | BLOCK_XN;
	l1_4k[2] = 0x80000000ULL | BLOCK_XN;
	l1_4k[3] = (u64)l2_hi | D_TABLE;
	l2_dev[0x08000000 >> 21] = 0x08000000ULL | D_BLOCK | DEVICE_XN;
	l2_hi[0] = (u64)l3_img | D_TABLE;
	for (i = 0; i < 4; i++) {
		ttbr1_l1[i] = l1_4k[i];
		ttbr1_l1[kidx(i << 30, 30, 512)] = l1_4k[i];
	}
	/* Level-0 start (T1SZ=16): a level-1 table with KBASE at 496-499. */
	for (i = 0; i < 4; i++)
		l1_4k[kidx(i << 30, 30, 512)] = l1_4k[i];
	ttbr1_l1[kidx(0, 39, 512)] = (u64)l1_4k | D_TABLE;
	/* 16K granule, level-1 start: 32 MiB blocks, the image in 16K pages. */
	for (pa = 0x40000000ULL; pa < 0x100000000ULL; pa += 1ULL << 25)
		l2_16k[kidx(pa, 25, 2048)] = pa | BLOCK_XN;
	l2_16k[kidx(0x08000000, 25, 2048)] = 0x08000000ULL | D_BLOCK | DEVICE_XN;
	l2_16k[kidx(PHYS_BASE, 25, 2048)] = (u64)l3_16k | D_TABLE;
	for (pa = PHYS_BASE; pa < PHYS_BASE + (1ULL << 25); pa += 1ULL << 14)
		l3_16k[kidx(pa, 14, 2048)] = image_page(pa);
	ttbr1_l1[kidx(0, 36, 2048)] = (u64)l2_16k | D_TABLE;
	/* 64K granule: level-2 start (T1SZ=22) in the root, level-1 start (T1SZ=16) through l2_64k. */
	fill_l2_64k(ttbr1_l1);
	fill_l2_64k(l2_64k);
	ttbr1_l1[kidx(0, 42, 64)] = (u64)l2_64k | D_TABLE;
	for (pa = 0x08000000ULL; pa < 0x0a000000ULL; pa += 1ULL << 16)
		l3_64k_dev[kidx(pa, 16, 8192)] = pa | D_PAGE | DEVICE_XN;
	for (pa = PHYS_BASE; pa < PHYS_BASE + (1ULL << 29); pa += 1ULL << 16)
		l3_64k_hi[kidx(pa, 16, 8192)] = image_page(pa);
	idmap_l1[PHYS_BASE >> 30] = PHYS_BASE | D_BLOCK | D_NORMAL;
}

void *arch_phys(u64 pa) { return (void *)(KBASE + pa); }

/* An exception outside arch_try: the harness is broken (or a vector's fetch ran wild). Its syndrome
 * goes to the blob region's last words for a debugger; the runner sees EXIT_TRAP. */
void trap_unexpected(u64 esr, u64 elr, u64 far)
{
	volatile u64 *dbg = arch_phys(BLOB_PA + BLOB_BYTES - 32);

	dbg[0] = esr;
	dbg[1] = elr;
	dbg[2] = far;
	semihost_exit(EXIT_TRAP);
}

void arch_exit(int code) { semihost_exit((u64)code); }

static void set_pan(u64 pan)
{
	if (pan)
		asm volatile(".inst 0xd500419f" ::: "memory"); /* msr pan, #1 */
	else
		asm volatile(".inst 0xd500409f" ::: "memory"); /* msr pan, #0 */
}

static void gic_cpu_init(void)
{
	w32(GICD + 0x100, 1);   /* GICD_ISENABLER0: SGI 0 */
	w32(GICC + 0x004, 0xf0); /* GICC_PMR */
	w32(GICC + 0x000, 1);   /* GICC_CTLR */
}

static void gic_ack(void)
{
	u32 id = r32(GICC + 0x00c); /* GICC_IAR */
	if ((id & 0x3ff) < 1020)
		w32(GICC + 0x010, id); /* GICC_EOIR */
}

static u64 psci_cpu_on(u64 mpidr, u64 entry)
{
	register u64 x0 asm("x0") = 0xc4000003;
	register u64 x1 asm("x1") = mpidr;
	register u64 x2 asm("x2") = entry;
	register u64 x3 asm("x3") = 1;
	asm volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
	return x0;
}

static inline u64 rd(u64 pa, u64 width)
{
	if (width == 4)
		return *(volatile u32 *)arch_phys(pa);
	if (width == 8)
		return *(volatile u64 *)arch_phys(pa);
	return *(volatile u8 *)arch_phys(pa);
}

static inline void wr(u64 pa, u64 width, u64 v)
{
	if (width == 4)
		*(volatile u32 *)arch_phys(pa) = (u32)v;
	else if (width == 8)
		*(volatile u64 *)arch_phys(pa) = v;
	else
		*(volatile u8 *)arch_phys(pa) = (u8)v;
}

static void tlbi(u64 type, u64 xt)
{
	asm volatile("dsb ishst" ::: "memory");
	switch (type) {
	case 0: asm volatile("tlbi vae1, %0" ::"r"(xt) : "memory"); break;
	case 1: asm volatile("tlbi vale1, %0" ::"r"(xt) : "memory"); break;
	case 2: asm volatile("tlbi vaae1, %0" ::"r"(xt) : "memory"); break;
	case 3: asm volatile("tlbi vaale1, %0" ::"r"(xt) : "memory"); break;
	case 4: asm volatile("tlbi aside1, %0" ::"r"(xt) : "memory"); break;
	case 5: asm volatile("tlbi vmalle1" ::: "memory"); break;
	case 6: asm volatile("tlbi vae1is, %0" ::"r"(xt) : "memory"); break;
	case 7: asm volatile("tlbi vale1is, %0" ::"r"(xt) : "memory"); break;
	case 8: asm volatile("tlbi vaae1is, %0" ::"r"(xt) : "memory"); break;
	case 9: asm volatile("tlbi vaale1is, %0" ::"r"(xt) : "memory"); break;
	case 10: asm volatile("tlbi aside1is, %0" ::"r"(xt) : "memory"); break;
	case 11: asm volatile("tlbi vmalle1is" ::: "memory"); break;
	default: arch_exit(EXIT_BAD_OP);
	}
	asm volatile("dsb ish; isb" ::: "memory");
}

#define MAX_PATH 8
#define MAX_STAMPS 32

static void access(struct cpu *c, const u64 *op)
{
	u64 h = op[0], kind = (h >> 16) & 0xff, ns = (h >> 32) & 0xffff, np = h >> 48;
	const u64 *stamps = op + 3, *path = stamps + 2 * ns;
	u64 before[MAX_PATH], orig[MAX_STAMPS];
	u64 i, r;

	if (np > MAX_PATH || ns > MAX_STAMPS)
		arch_exit(EXIT_BAD_OP);
	for (i = 0; i < np; i++)
		before[i] = rd(path[i], 8);
	for (i = 0; i < ns; i++) {
		u64 pa = stamps[2 * i] & ((1ULL << 56) - 1), width = stamps[2 * i] >> 56;
		orig[i] = rd(pa, width);
		wr(pa, width, stamps[2 * i + 1]);
	}
	asm volatile("dsb ish; ic iallu; dsb ish; isb" ::: "memory");
	c->x1 = 0;
	r = arch_try(c, kind, op[1], op[2]);
	set_pan(c->pan);
	asm volatile("isb" ::: "memory");
	emit(r);
	emit(r ? c->esr : 0);
	emit(r ? c->far : 0);
	emit(r ? c->elr : 0);
	emit(c->x1 & 0xff);
	for (i = 0; i < ns; i++) {
		u64 pa = stamps[2 * i] & ((1ULL << 56) - 1), width = stamps[2 * i] >> 56;
		emit(rd(pa, width));
		wr(pa, width, orig[i]);
	}
	asm volatile("dsb ish; ic iallu; dsb ish; isb" ::: "memory");
	for (i = 0; i < np; i++) {
		emit(before[i]);
		emit(rd(path[i], 8));
	}
}

/* Every state on the way maps the harness: its own root does for each TG1/T1SZ it allows, a
 * vector's root through the slots OP_HMAP filled. So TG1 and T1SZ change only while the harness's own
 * root is in TTBR1_EL1. */
static void set_ttbr1(u64 ttbr1, u64 t1)
{
	u64 tcr = (sysreg_read(tcr_el1) & ~T1_MASK) | (t1 ? t1 : T1_HARNESS);

	if (!ttbr1) {
		sysreg_write(ttbr1_el1, (u64)ttbr1_l1 - KBASE);
		asm volatile("isb" ::: "memory");
	}
	if (sysreg_read(tcr_el1) != tcr) {
		sysreg_write(tcr_el1, tcr);
		asm volatile("isb" ::: "memory");
	}
	if (ttbr1) {
		sysreg_write(ttbr1_el1, ttbr1);
		asm volatile("isb" ::: "memory");
	}
}

static u64 op_words(const u64 *op)
{
	u64 h = op[0];
	switch (h & 0xff) {
	case OP_CONFIG: return 5;
	case OP_WRITES: return 1 + 2 * (h >> 32);
	case OP_READ:
	case OP_WRITE_SLOT:
	case OP_TTBR0:
	case OP_TLBI: return 2;
	case OP_ACCESS: return 3 + 2 * ((h >> 32) & 0xffff) + (h >> 48);
	case OP_HMAP: return 2;
	case OP_TTBR1: return 3;
	}
	return 0;
}

static void do_op(struct cpu *c, const u64 *op)
{
	u64 h = op[0], i, n, v;

	switch (h & 0xff) {
	case OP_CONFIG:
		v = (TCR_FIXED & ~T1_MASK) | (sysreg_read(tcr_el1) & T1_MASK) | op[1];
		if (sysreg_read(tcr_el1) != v)
			sysreg_write(tcr_el1, v);
		v = SCTLR_FIXED | op[2];
		if (sysreg_read(sctlr_el1) != v)
			sysreg_write(sctlr_el1, v);
		sysreg_write(ttbr0_el1, op[3]);
		c->pan = op[4];
		set_pan(c->pan);
		asm volatile("isb" ::: "memory");
		break;
	case OP_WRITES:
		n = h >> 32;
		for (i = 0; i < n; i++)
			wr(op[1 + 2 * i], 8, op[2 + 2 * i]);
		asm volatile("dsb ish" ::: "memory");
		break;
	case OP_READ:
		v = rd(op[1], 8);
		slots[(h >> 16) & 0xff] = v;
		emit(v);
		break;
	case OP_WRITE_SLOT:
		wr(op[1], 8, slots[(h >> 16) & 0xff]);
		asm volatile("dsb ish" ::: "memory");
		break;
	case OP_TTBR0:
		sysreg_write(ttbr0_el1, op[1]);
		asm volatile("isb" ::: "memory");
		break;
	case OP_TLBI:
		tlbi((h >> 16) & 0xff, op[1]);
		break;
	case OP_ACCESS:
		access(c, op);
		break;
	case OP_HMAP:
		n = (h >> 32) & 0xffff;
		for (i = (h >> 16) & 0xffff; n--; i++)
			wr(op[1] + 8 * i, 8, ttbr1_l1[i]);
		asm volatile("dsb ish" ::: "memory");
		break;
	case OP_TTBR1:
		set_ttbr1(op[1], op[2]);
		break;
	}
}

void arch_vector_begin(void) {}

/* QEMU puts the device tree at the start of RAM, inside the vectors' window: vectors start from
 * zeroed memory. */
static void zero_dtb(void)
{
	volatile u32 *dtb = arch_phys(0x40000000);
	u64 i, bytes;

	if (dtb[0] != 0xedfe0dd0) /* FDT magic 0xd00dfeed, big-endian */
		return;
	bytes = __builtin_bswap32(dtb[1]);
	for (i = 0; i < (bytes + 7) / 8; i++)
		((volatile u64 *)dtb)[i] = 0;
	asm volatile("dsb ish" ::: "memory");
}

const u64 *arch_op(const u64 *op, const u64 *end)
{
	u64 n = op_words(op), cpu = (op[0] >> 8) & 0xff;

	if (!n || op + n > end || cpu > 1)
		return 0;
	if (cpu == 0) {
		do_op(&cpus[0], op);
		return op + n;
	}
	if (!cpus[1].online)
		return 0;
	__atomic_store_n(&cpus[1].next, (const u64 *)0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&cpus[1].op, op, __ATOMIC_SEQ_CST);
	w32(GICD + 0xf00, (1u << (16 + 1)) | 0); /* GICD_SGIR: SGI 0 to CPU 1 */
	while (!__atomic_load_n(&cpus[1].next, __ATOMIC_SEQ_CST))
		asm volatile("yield");
	return op + n;
}

void cpu_main(u64 idx)
{
	struct cpu *c = &cpus[idx];
	u64 i;

	sysreg_write(tpidr_el1, c);
	gic_cpu_init();
	if (idx == 0) {
		zero_dtb();
		w32(GICD + 0x000, 1); /* GICD_CTLR */
		if (psci_cpu_on(1, (u64)secondary_start - KBASE) == 0)
			for (i = 0; i < 100000000 && !cpus[1].online; i++)
				asm volatile("yield");
		harness_run(BLOB_PA, BLOB_BYTES, RESULT_PA, RESULT_BYTES);
	}
	__atomic_store_n(&c->online, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		const u64 *op = __atomic_load_n(&c->op, __ATOMIC_SEQ_CST);
		if (op) {
			__atomic_store_n(&c->op, (const u64 *)0, __ATOMIC_SEQ_CST);
			do_op(c, op);
			__atomic_store_n(&c->next, op, __ATOMIC_SEQ_CST);
			continue;
		}
		asm volatile("wfi" ::: "memory");
		gic_ack();
	}
}
