/* Entry, trap entry and the S/U access stub of the riscv64 harness.
 *
 * QEMU's virt machine with -bios none starts every hart at the DRAM base (0x80000000) with a0 =
 * mhartid and a1 = the device tree: .boot jumps to _start, above the vectors' window, and the harness
 * then zeroes .boot's words (the window must read as zero). */

#define STUB_PA 0x480000000
#define TEXT_PA 0x480001000
#define MAX_HARTS 2
#define STACK 0x4000
#define SAVE 144
#define MSTATUS_MPRV (1 << 17)

	.option norvc

	.section .boot, "ax"
	.globl _boot
_boot:
	li	t0, TEXT_PA
	jr	t0

	/* The page S- and U-mode execute for a data access, mapped by the runner (riscv64.ts) into a
	 * free root slot; every access ends in a trap to M-mode: an ecall after the access, or the
	 * access's own exception. a0 = VA, a1 = byte to store; the loaded byte comes back in a2. */
	.section .stub, "ax"
	.globl stub_page
stub_page:
	lbu	a2, 0(a0)
	ecall
	sb	a1, 0(a0)
	ecall

	.section .text.start, "ax"
	.globl _start
_start:
	li	t0, MAX_HARTS
	bgeu	a0, t0, park
	/* Hart n: its stack below stack_top - n * STACK, its save area at save_area + n * SAVE. */
	li	t0, STACK
	mul	t0, t0, a0
	la	sp, stack_top
	sub	sp, sp, t0
	li	t0, SAVE
	mul	t0, t0, a0
	la	t1, save_area
	add	t0, t0, t1
	csrw	mscratch, t0
	la	t0, trap_entry
	csrw	mtvec, t0
	bnez	a0, 1f
	mv	a0, a1
	call	arch_main
1:
	call	hart_main
park:
	wfi
	j	park

	/* The harness's callee-saved registers and the trap record pointer (a3) into the hart's save
	 * area (mscratch), which trap_entry restores from when the access traps back. */
	.macro save_harness
	csrr	t0, mscratch
	sd	ra, 0(t0)
	sd	sp, 8(t0)
	sd	s0, 16(t0)
	sd	s1, 24(t0)
	sd	s2, 32(t0)
	sd	s3, 40(t0)
	sd	s4, 48(t0)
	sd	s5, 56(t0)
	sd	s6, 64(t0)
	sd	s7, 72(t0)
	sd	s8, 80(t0)
	sd	s9, 88(t0)
	sd	s10, 96(t0)
	sd	s11, 104(t0)
	sd	gp, 112(t0)
	sd	tp, 120(t0)
	sd	a3, 128(t0)
	.endm

	/* u64 enter_lower(u64 pc, u64 va, u64 val, struct trap *t): mret to pc at the privilege in
	 * mstatus.MPP with a0 = va, a1 = val; returns when the lower mode traps, with the trap in *t. */
	.text
	.globl enter_lower
	.balign 4
enter_lower:
	save_harness
	csrw	mepc, a0
	mv	a0, a1
	mv	a1, a2
	li	a2, 0
	mret

	/* void mprv_access(u64 va, u64 val, u64 store, struct trap *t): one load or store made by
	 * M-mode with mstatus.MPRV = 1, so translated and checked at the privilege in MPP; t->cause is
	 * ~0 when it does not trap, and a trap returns from it as from enter_lower. */
	.globl mprv_access
	.balign 4
mprv_access:
	save_harness
	li	t1, 1
	sd	t1, 136(t0)
	li	t1, MSTATUS_MPRV
	csrs	mstatus, t1
	bnez	a2, 1f
	lbu	a2, 0(a0)
	j	2f
1:	sb	a1, 0(a0)
2:	csrc	mstatus, t1
	sd	zero, 136(t0)
	li	t1, -1
	sd	t1, 0(a3)
	sd	zero, 8(a3)
	sd	zero, 16(a3)
	sd	a2, 24(a3)
	ret

	.globl trap_entry
	.balign 4
trap_entry:
	csrrw	t0, mscratch, t0
	/* A trap of mprv_access comes from M-mode with MPRV still set (MPP is now M: untranslated). */
	ld	t1, 136(t0)
	beqz	t1, 3f
	sd	zero, 136(t0)
	li	t1, MSTATUS_MPRV
	csrc	mstatus, t1
	j	4f
3:
	csrr	t1, mstatus
	srli	t1, t1, 11
	andi	t1, t1, 3
	li	t2, 3
	beq	t1, t2, m_trap
4:
	ld	t1, 128(t0)
	csrr	t2, mcause
	sd	t2, 0(t1)
	csrr	t2, mepc
	sd	t2, 8(t1)
	csrr	t2, mtval
	sd	t2, 16(t1)
	sd	a2, 24(t1)
	ld	ra, 0(t0)
	ld	sp, 8(t0)
	ld	s0, 16(t0)
	ld	s1, 24(t0)
	ld	s2, 32(t0)
	ld	s3, 40(t0)
	ld	s4, 48(t0)
	ld	s5, 56(t0)
	ld	s6, 64(t0)
	ld	s7, 72(t0)
	ld	s8, 80(t0)
	ld	s9, 88(t0)
	ld	s10, 96(t0)
	ld	s11, 104(t0)
	ld	gp, 112(t0)
	ld	tp, 120(t0)
	csrrw	t0, mscratch, t0
	ret
m_trap:
	/* An exception of the harness itself. */
	csrrw	t0, mscratch, t0
	la	sp, stack_top
	csrr	t0, mhartid
	li	t1, STACK
	mul	t0, t0, t1
	sub	sp, sp, t0
	call	m_trap_c
	j	park

	.bss
	.balign 16
	.globl save_area
save_area:
	.space	SAVE * MAX_HARTS
