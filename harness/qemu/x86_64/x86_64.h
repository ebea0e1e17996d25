/* Constants shared by start.S and arch.c. The runner's target (runners/adapters/qemu/x86_64.ts)
 * repeats the layout and the operation numbers. */
#ifndef PTVEC_X86_64_H
#define PTVEC_X86_64_H

/* The harness's top-level slot: PML4 index 400 in 4-level paging; in 5-level paging the same VAs lie
 * under PML5 index 511 (bits 63:48 are all ones). HBASE + PA is the linear map of guest RAM. */
#define HSLOT4 400
#define HSLOT5 511
#define HBASE 0xffffc80000000000
#define USER_VA (HBASE + 0x200000000) /* pdpt_lin[8]: the user alias of the stub page */

#define BLOB_PA 0x01000000
#define BLOB_BYTES 0x20000000
#define RESULT_PA 0x21000000
#define RESULT_BYTES 0x1f000000

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_CODE32 0x18
#define GDT_UDATA 0x23
#define GDT_UCODE 0x2b
#define GDT_TSS 0x30

#define CR0_PE 0x1
#define CR0_ET 0x10
#define CR0_NE 0x20
#define CR0_WP 0x10000
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define CR4_PGE 0x80
#define CR4_LA57 0x1000
#define CR4_PCIDE 0x20000
#define CR4_SMEP 0x100000
#define CR4_SMAP 0x200000
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define EFER_NXE 0x800
#define RFLAGS_TF 0x100
#define RFLAGS_AC 0x40000
#define DR6_INIT 0xffff0ff0

#define PTE_TABLE 0x3   /* P RW */
#define PTE_TABLE_U 0x7 /* P RW US */
#define PTE_HUGE 0x83   /* P RW PS */
#define PTE_USER_RX 0x5 /* P US, read-only */

#define EXIT_TRAP 5

/* Per-CPU block (arch.c struct percpu at its start, then stacks): PERCPU_SIZE-aligned, so the
 * exception entry finds it from its IST stack pointer. */
#define PERCPU_SIZE 0x8000
#define PC_SAVED_RSP 0
#define PC_VEC 8
#define PC_ERR 16
#define PC_RIP 24
#define PC_CS 32
#define PC_CR2 40
#define PC_DR6 48
#define PC_RAX 56
#define PERCPU_IST_TOP 0x5000
#define PERCPU_SCRATCH_TOP 0x6000

#define LAPIC_PA 0xfee00000
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310
#define IPI_VECTOR 0x40
#define AP_TRAMP_PA 0x8000
#define GDT_TSS1 0x40

/* struct frame offsets (arch.c) */
#define F_RIP 0
#define F_CS 8
#define F_RFLAGS 16
#define F_RSP 24
#define F_SS 32
#define F_RAX 40
#define F_RBX 48
#define F_RCX 56
#define F_RDX 64
#define F_RBP 72
#define F_RSI 80
#define F_RDI 88
#define F_R8 96
#define F_R9 104
#define F_R10 112
#define F_R11 120
#define F_R12 128
#define F_R13 136
#define F_R14 144
#define F_R15 152

#define FEAT_WP 1
#define FEAT_NXE 2
#define FEAT_AC 4

/* Operations (blob words). */
#define OP_MODE 1     /* la57: switch to 4-level (0) or 5-level (1) paging, harness root loaded */
#define OP_WRITE 2    /* pa value */
#define OP_READ 3     /* pa -> emits the word */
#define OP_FEATURES 4 /* cr4_set cr4_clear set clear (FEAT_*) -> emits the status */
#define OP_CR3 5      /* value insert_pa (~0: none) -> emits the status */
#define OP_INVLPG 6   /* va */
#define OP_INVPCID 7  /* type pcid va -> emits the status */
#define OP_ACCESS 8   /* va kind|cpl3<<8 nstamps (pa word)* npath pa* -> see arch.c */
#define OP_HOME 9     /* harness root, reset features (before the clean-up writes) */
#define OP_ON1 10     /* n, then n words: one operation run by CPU 1 */

#endif
