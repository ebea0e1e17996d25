/* Entry, exception vectors and the access primitive of the arm64 harness (EL1, AArch64). */
#include "arm64.h"

	.section .text.boot, "ax"
	.globl _start
_start:
	/* CPU 0 at the ELF entry, EL1, MMU off, running at PA. */
	adrp	x0, stacks + STACK_BYTES
	add	x0, x0, :lo12:stacks + STACK_BYTES
	mov	sp, x0
	bl	boot_tables
	mov	x0, #0
	b	mmu_on

	.globl secondary_start
secondary_start:
	/* CPU 1 from PSCI CPU_ON (x0 = context), MMU off. */
	adrp	x1, stacks + 2 * STACK_BYTES
	add	x1, x1, :lo12:stacks + 2 * STACK_BYTES
	mov	sp, x1
	mov	x0, #1

mmu_on:
	ldr	x1, =MAIR_VALUE
	msr	mair_el1, x1
	ldr	x1, =TCR_BOOT
	msr	tcr_el1, x1
	adrp	x1, ttbr1_l1
	msr	ttbr1_el1, x1
	adrp	x1, idmap_l1
	msr	ttbr0_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ldr	x1, =SCTLR_FIXED
	msr	sctlr_el1, x1
	isb
	ldr	x1, =1f
	br	x1
1:	/* Now at KBASE + PA. */
	ldr	x1, =vectors
	msr	vbar_el1, x1
	ldr	x1, =KBASE
	mov	x2, sp
	add	x2, x2, x1
	mov	sp, x2
	isb
	bl	cpu_main
	b	.

	.ltorg

	.text
/* u64 arch_try(struct cpu *c, u64 kind, u64 va, u64 value): 0 if the access completed at EL1,
 * 1 if an exception was taken (c->esr, far, elr, spsr, x1 hold what it left). */
	.globl arch_try
arch_try:
	stp	x19, x20, [x0, #0]
	stp	x21, x22, [x0, #16]
	stp	x23, x24, [x0, #32]
	stp	x25, x26, [x0, #48]
	stp	x27, x28, [x0, #64]
	stp	x29, x30, [x0, #80]
	mov	x9, sp
	str	x9, [x0, #96]
	mov	x9, #1
	str	x9, [x0, #CPU_ARMED]
	cmp	x1, #K_EL1_STORE
	b.eq	2f
	cmp	x1, #K_EL1_FETCH
	b.eq	3f
	cmp	x1, #K_EL0_LOAD
	b.eq	4f
	cmp	x1, #K_EL0_STORE
	b.eq	5f
	cmp	x1, #K_EL0_FETCH
	b.eq	6f
	ldrb	w1, [x2]
	b	7f
2:	strb	w3, [x2]
	mov	x1, #0
	b	7f
3:	br	x2
4:	ldr	x9, =EL0_STUB_VA + EL0_LOAD_OFF
	b	8f
5:	ldr	x9, =EL0_STUB_VA + EL0_STORE_OFF
	b	8f
6:	mov	x9, x2
8:	msr	elr_el1, x9
	mov	x9, #SPSR_EL0
	msr	spsr_el1, x9
	mov	x0, x2
	mov	x2, x3
	eret
7:	str	x1, [x0, #CPU_X1]
	str	xzr, [x0, #CPU_ARMED]
	mov	x0, #0
	ret

/* A synchronous exception while armed: record it and return 1 from arch_try. */
take:
	mrs	x10, tpidr_el1
	ldr	x11, [x10, #CPU_ARMED]
	cbz	x11, unexpected
	str	x1, [x10, #CPU_X1]
	mrs	x11, esr_el1
	str	x11, [x10, #CPU_ESR]
	mrs	x11, far_el1
	str	x11, [x10, #CPU_FAR]
	mrs	x11, elr_el1
	str	x11, [x10, #CPU_ELR]
	mrs	x11, spsr_el1
	str	x11, [x10, #CPU_SPSR]
	str	xzr, [x10, #CPU_ARMED]
	mov	x0, x10
	ldp	x19, x20, [x0, #0]
	ldp	x21, x22, [x0, #16]
	ldp	x23, x24, [x0, #32]
	ldp	x25, x26, [x0, #48]
	ldp	x27, x28, [x0, #64]
	ldp	x29, x30, [x0, #80]
	ldr	x9, [x0, #96]
	mov	sp, x9
	mov	x0, #1
	ret

unexpected:
	mrs	x0, esr_el1
	mrs	x1, elr_el1
	mrs	x2, far_el1
	bl	trap_unexpected
	b	.

	.ltorg

	.balign	2048
vectors:
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	128
	.if	\n == 4 || \n == 8
	b	take
	.else
	b	unexpected
	.endif
	.endr

/* The page EL0 executes: one access, then SVC back to EL1. */
	.section .el0stub, "ax"
el0_load:
	ldrb	w1, [x0]
	svc	#0
el0_store:
	strb	w2, [x0]
	svc	#0

/* Semihosting SYS_EXIT with ADP_Stopped_ApplicationExit and the code (Arm semihosting 2.0). */
	.text
	.globl semihost_exit
semihost_exit:
	adrp	x1, exit_block
	add	x1, x1, :lo12:exit_block
	ldr	x2, =0x20026
	str	x2, [x1]
	str	x0, [x1, #8]
	mov	x0, #0x18
	hlt	#0xf000
	b	.
	.ltorg

	.bss
	.balign	16
exit_block:
	.skip	16
