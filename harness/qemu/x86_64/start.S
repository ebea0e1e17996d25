/* x86_64 harness entry: a multiboot (v1) image that QEMU loads with -kernel. The 32-bit entry turns
 * on 4-level IA-32e paging with the harness's own tables, jumps to the linear map at HBASE + PA (the
 * C code is position independent and runs only there, so it is reachable from every root a vector
 * loads: the runner inserts the harness's top-level entry into each), and calls harness_main.
 *
 * Harness tables (all 4 KiB, physical = link address):
 *   pml4_h: [0] -> pdpt_id (identity 0-4 GiB, 1 GiB pages), [HSLOT4] -> pdpt_lin
 *   pml5_h: [0] -> pml4_h, [511] -> pml4_h          (5-level root of the harness)
 *   pml4_k: [HSLOT4] -> pdpt_lin                    (what a 5-level vector root gets at [511])
 *   pdpt_lin: [0..7] 1 GiB supervisor pages of PA 0-8 GiB, [8] -> pd_user -> pt_user -> user stub
 * The user alias of the stub page (USER_VA) is the only U=1 harness mapping. The linear map also
 * reaches the local APIC (LAPIC_PA), through which CPU 0 starts CPU 1 (ap_tramp) and wakes it.
 *
 * Each CPU has a PERCPU_SIZE-aligned block (x86_64.h): its struct percpu, IST1 stack and scratch
 * stack (and CPU 1's own stack); every IDT gate uses IST1. */

#include "x86_64.h"

	.section .multiboot, "a"
	.balign 4
	.long 0x1badb002
	.long 0
	.long -0x1badb002

/* From 32-bit protected mode into long mode on the harness's own tables (PAE, EFER.LME|NXE, paging
 * with WP), then a far jump to the 64-bit code at the local label 1 that follows. */
	.macro long_mode
	movl $GDT_KDATA, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $pml4_h, %eax
	movl %eax, %cr3
	movl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl $(CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG), %eax
	movl %eax, %cr0
	ljmp $GDT_KCODE, $1f
	.endm

/* ------------------------------------------------------------------ 32-bit entry */
	.section .boot, "ax"
	.code32
	.globl _start
_start:
	cli
	movl $boot_stack_top, %esp
	lgdt gdt_desc_phys
	long_mode
	.code64
1:	movabsq $HBASE, %rax
	addq %rax, %rsp
	leaq 2f(%rip), %rcx
	addq %rax, %rcx
	jmp *%rcx
2:	call harness_main
3:	hlt
	jmp 3b

	.code32
ap_start32:
	long_mode
	.code64
1:	movabsq $HBASE, %rax
	leaq percpu1 + PERCPU_SIZE(%rip), %rsp
	addq %rax, %rsp
	leaq 2f(%rip), %rcx
	addq %rax, %rcx
	jmp *%rcx
2:	call ap_main
3:	hlt
	jmp 3b

/* Change CR4 (LA57) and CR3 with paging off: MOV CR4 may not change LA57 in IA-32e mode (SDM vol.
 * 3A §4.1.1), so go to the identity map, compatibility mode, clear CR0.PG, load CR4 and CR3, set
 * CR0.PG and come back.  switch_paging(u64 cr4 %rdi, u64 cr3 %rsi); both fit in 32 bits. */
	.globl switch_paging
switch_paging:
	pushq %rbx
	movabsq $HBASE, %r8
	subq $16, %rsp
	movw $(GDT_END - gdt - 1), (%rsp)
	leaq gdt(%rip), %rax
	subq %r8, %rax
	movq %rax, 2(%rsp)
	lgdt (%rsp)
	addq $16, %rsp
	subq %r8, %rsp
	leaq 1f(%rip), %rax
	subq %r8, %rax
	jmp *%rax
1:	pushq $GDT_CODE32
	leaq 2f(%rip), %rax
	pushq %rax
	lretq
	.code32
2:	movl %cr0, %eax
	andl $~CR0_PG, %eax
	movl %eax, %cr0
	movl %edi, %cr4
	movl %esi, %cr3
	orl $CR0_PG, %eax
	movl %eax, %cr0
	ljmp $GDT_KCODE, $3f
	.code64
3:	movabsq $HBASE, %r8
	addq %r8, %rsp
	leaq 4f(%rip), %rax
	addq %r8, %rax
	jmp *%rax
4:	subq $16, %rsp
	movw $(GDT_END - gdt - 1), (%rsp)
	leaq gdt(%rip), %rax
	movq %rax, 2(%rsp)
	lgdt (%rsp)
	addq $16, %rsp
	popq %rbx
	ret

	.text
	.code64
/* Exception stubs, 16 bytes each: push a 0 error code where the CPU pushes none, the vector, and go
 * to trap_common. Vectors with an error code: 8, 10-14, 17, 21, 29, 30. */
	.balign 16
	.globl trap_stubs
trap_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

/* Every exception lands here on the IST1 stack, which lies inside the CPU's per-CPU block
 * (PERCPU_SIZE-aligned): record the raw facts there, then return from guard() or enter() on the
 * stack they saved, or stop if neither is active. */
trap_common:
	pushq %rbx
	pushq %rax
	movq %rsp, %rbx
	andq $-PERCPU_SIZE, %rbx
	movq (%rsp), %rax
	movq %rax, PC_RAX(%rbx)
	movq 16(%rsp), %rax
	movq %rax, PC_VEC(%rbx)
	movq 24(%rsp), %rax
	movq %rax, PC_ERR(%rbx)
	movq 32(%rsp), %rax
	movq %rax, PC_RIP(%rbx)
	movq 40(%rsp), %rax
	movq %rax, PC_CS(%rbx)
	movq %cr2, %rax
	movq %rax, PC_CR2(%rbx)
	movq %db6, %rax
	movq %rax, PC_DR6(%rbx)
	movq $DR6_INIT, %rax
	movq %rax, %db6
	movq PC_SAVED_RSP(%rbx), %rax
	testq %rax, %rax
	jz unexpected
	movq %rax, %rsp
	movq $0, PC_SAVED_RSP(%rbx)
	movl $GDT_KDATA, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	pushq $2
	popfq
	movl $1, %eax
	jmp restore
unexpected:
	movl $EXIT_TRAP, %edi
	call arch_exit

/* The IPI that wakes CPU 1 from HLT: EOI and return. */
	.globl ipi_entry
ipi_entry:
	pushq %rax
	movabsq $(HBASE + LAPIC_PA + LAPIC_EOI), %rax
	movl $0, (%rax)
	popq %rax
	iretq

/* u64 guard(struct percpu *pc, void (*fn)(u64), u64 arg): fn(arg); 0 if it returned, 1 if it
 * took an exception. */
	.globl guard
guard:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, PC_SAVED_RSP(%rdi)
	movq %rdi, %rbx
	movq %rdx, %rdi
	call *%rsi
	movq $0, PC_SAVED_RSP(%rbx)
	xorl %eax, %eax
restore:
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

/* void enter(struct percpu *pc, const struct frame *f): load every general register from f and
 * IRETQ to f's RIP/CS/RFLAGS/RSP/SS. It comes back only through an exception (trap_common). */
	.globl enter
enter:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, PC_SAVED_RSP(%rdi)
	movq %rsi, %rdi
	pushq F_SS(%rdi)
	pushq F_RSP(%rdi)
	pushq F_RFLAGS(%rdi)
	pushq F_CS(%rdi)
	pushq F_RIP(%rdi)
	movq F_RAX(%rdi), %rax
	movq F_RBX(%rdi), %rbx
	movq F_RCX(%rdi), %rcx
	movq F_RDX(%rdi), %rdx
	movq F_RBP(%rdi), %rbp
	movq F_RSI(%rdi), %rsi
	movq F_R8(%rdi), %r8
	movq F_R9(%rdi), %r9
	movq F_R10(%rdi), %r10
	movq F_R11(%rdi), %r11
	movq F_R12(%rdi), %r12
	movq F_R13(%rdi), %r13
	movq F_R14(%rdi), %r14
	movq F_R15(%rdi), %r15
	movq F_RDI(%rdi), %rdi
	iretq

/* CPU 1 starts here (copied to AP_TRAMP_PA; SIPI vector AP_TRAMP_PA >> 12), in real mode with CS
 * = AP_TRAMP_PA >> 4: load the GDT, enter protected mode and go to ap_start32. */
	.code16
	.globl ap_tramp, ap_tramp_end
ap_tramp:
	cli
	movw %cs, %ax
	movw %ax, %ds
	lgdtl (ap_gdt_desc - ap_tramp)
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $GDT_CODE32, $ap_start32
	.balign 8
ap_gdt_desc:
	.word GDT_END - gdt - 1
	.long gdt
ap_tramp_end:
	.code64

/* The stub page: run at CPL0 through the linear map and at CPL3 through USER_VA. Each access ends
 * in INT3, whose #BP at the address after it means the access completed. */
	.section .stub, "ax"
	.balign 4096
	.globl stub_page
stub_page:
	.globl stub_load
stub_load:
	movb (%rdi), %al
	int3
	.globl stub_load_done
stub_load_done:
	.globl stub_store
stub_store:
	movb %sil, (%rdi)
	int3
	.globl stub_store_done
stub_store_done:
	hlt
	.balign 4096

/* ------------------------------------------------------------------ data */
	.data
	.balign 8
	.globl gdt
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08 kernel code, L=1 */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00cf9a000000ffff	/* 0x18 32-bit code */
	.quad 0x00cff2000000ffff	/* 0x23 user data */
	.quad 0x00affa000000ffff	/* 0x2b user code, L=1 */
	.globl gdt_tss
gdt_tss:
	.quad 0				/* 0x30 TSS of CPU 0, filled by cpu_init */
	.quad 0
	.quad 0				/* 0x40 TSS of CPU 1 */
	.quad 0
GDT_END:
gdt_desc_phys:
	.word GDT_END - gdt - 1
	.long gdt

	.section .tables, "aw"
	.balign 4096
	.globl pml4_h, pml5_h, pml4_k
pml4_h:
	.quad pdpt_id + PTE_TABLE
	.fill HSLOT4 - 1, 8, 0
	.quad pdpt_lin + PTE_TABLE_U
	.fill 511 - HSLOT4, 8, 0
pml5_h:
	.quad pml4_h + PTE_TABLE
	.fill 510, 8, 0
	.quad pml4_h + PTE_TABLE_U
pml4_k:
	.fill HSLOT4, 8, 0
	.quad pdpt_lin + PTE_TABLE_U
	.fill 511 - HSLOT4, 8, 0
pdpt_id:
	.set i, 0
	.rept 4
	.quad (i << 30) + PTE_HUGE
	.set i, i + 1
	.endr
	.fill 508, 8, 0
pdpt_lin:
	.set i, 0
	.rept 8
	.quad (i << 30) + PTE_HUGE
	.set i, i + 1
	.endr
	.quad pd_user + PTE_TABLE_U
	.fill 503, 8, 0
pd_user:
	.quad pt_user + PTE_TABLE_U
	.fill 511, 8, 0
pt_user:
	.quad stub_page + PTE_USER_RX
	.fill 511, 8, 0

	.bss
	.balign PERCPU_SIZE
	.globl percpu0, percpu1, boot_stack_top, idt, tss0, tss1
percpu0:
	.skip PERCPU_SIZE
percpu1:
	.skip PERCPU_SIZE
boot_stack:
	.skip 16384
boot_stack_top:
	.balign 16
idt:
	.skip 4096
tss0:
	.skip 128
tss1:
	.skip 128

	.section .note.GNU-stack, "", @progbits
