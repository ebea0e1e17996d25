/* Constants shared by start.S and arch.c. */
#ifndef PTVEC_ARM64_H
#define PTVEC_ARM64_H

#ifdef __ASSEMBLER__
#define U(x) x
#else
#define U(x) x##ULL
#endif

#define KBASE U(0xfffffffc00000000)
#define PHYS_BASE U(0xc0000000)
#define EL0_STUB_VA (KBASE + PHYS_BASE + 0x1f0000)
#define EL0_LOAD_OFF 0
#define EL0_STORE_OFF 8
#define STACK_BYTES 0x4000

#define BLOB_PA 0xc1000000
#define BLOB_BYTES 0x1f000000
#define RESULT_PA 0xe0000000
#define RESULT_BYTES 0x20000000

/* Access kinds of OP_ACCESS and arch_try. */
#define K_EL1_LOAD 0
#define K_EL1_STORE 1
#define K_EL1_FETCH 2
#define K_EL0_LOAD 3
#define K_EL0_STORE 4
#define K_EL0_FETCH 5

/* EL0t with DAIF masked. */
#define SPSR_EL0 0x3c0

/* struct cpu offsets. */
#define CPU_ESR 104
#define CPU_FAR 112
#define CPU_ELR 120
#define CPU_SPSR 128
#define CPU_X1 136
#define CPU_ARMED 144

/* MAIR: attr0 Normal WB, attr1 Device-nGnRnE. */
#define MAIR_VALUE 0x00ff
/* TCR_EL1 bits the harness owns: TTBR1 (T1SZ=30, 4K, WB, inner shareable), walk attributes of
 * TTBR0, AS=1 (16-bit ASID). */
#define T1SZ_HARNESS 30
#define TCR_FIXED ((T1SZ_HARNESS << 16) | (1 << 24) | (1 << 26) | (3 << 28) | (U(2) << 30) | \
		   (1 << 8) | (1 << 10) | (3 << 12) | (U(1) << 36))
/* At boot: TTBR0 is an identity map (T0SZ=25, 4K), IPS 48 bits. */
#define TCR_BOOT (TCR_FIXED | 25 | (U(5) << 32))
/* SCTLR_EL1: M C SA SA0 EOS I DZE UCT nTWI nTWE TSCXT EIS SPAN UCI nTLSMD LSMAOE. */
#define SCTLR_FIXED ((1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 11) | (1 << 12) | \
		     (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 20) | (1 << 22) | \
		     (1 << 23) | (1 << 26) | (1 << 28) | (1 << 29))

#endif
