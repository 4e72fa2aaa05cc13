/* The syscall instruction's entry point, and the way into user mode.
 *
 * syscall leaves the user's RIP in RCX and RFLAGS in R11, and does not
 * switch stacks: the entry saves the user's RSP, moves to the kernel stack
 * from the TSS (rsp0), and builds the same struct trap_frame an interrupt
 * would (vector 0x80), so one handler serves syscall and int $0x80 alike. */
#include "trap_frame.inc"

#define USER_CS 0x23
#define USER_DS 0x1b
#define SYSCALL_VECTOR 0x80

    .section .text
    .code64
    .global syscall_entry
syscall_entry:
    movq %rsp, syscall_user_rsp(%rip)
    movq kernel_tss_rsp0(%rip), %rsp
    pushq $USER_DS                  /* ss */
    pushq syscall_user_rsp(%rip)    /* rsp */
    pushq %r11                      /* rflags */
    pushq $USER_CS                  /* cs */
    pushq %rcx                      /* rip */
    pushq $0                        /* error code */
    pushq $SYSCALL_VECTOR
    SAVE_GENERAL_REGISTERS
    xorl %ebp, %ebp                 /* backtraces stop at the user boundary */
    cld
    movq %rsp, %rdi
    call trap_dispatch
    RESTORE_GENERAL_REGISTERS
    addq $16, %rsp                  /* vector, error code */
    /* A frame that no longer returns to 64-bit user code (a handler changed
     * it) goes back through iretq. A non-canonical return address would
     * make sysret fault in kernel mode on the user's stack: report it. */
    cmpq $USER_CS, 8(%rsp)
    jne 1f
    movq (%rsp), %rcx
    movq %rcx, %r11
    sarq $47, %r11
    jz 2f
    cmpq $-1, %r11
    je 2f
    movq %rcx, %rdi
    call syscall_bad_return         /* does not return */
2:  movq 16(%rsp), %r11             /* rflags */
    movq 24(%rsp), %rsp             /* user stack */
    .global syscall_return_to_user  /* for the gdb tour (keel-guide syscall) */
syscall_return_to_user:
    sysretq
1:  iretq

/* pc_user_return_frame(frame): load the whole trap frame (a copy on the
 * kernel stack) and iretq to it. */
    .global pc_user_return_frame
pc_user_return_frame:
    cli
    movq %rdi, %rsp
    RESTORE_GENERAL_REGISTERS
    addq $16, %rsp                  /* vector, error code */
    iretq

/* pc_iret_to_user(rip, rsp, arg): start user code, interrupts on. */
    .global pc_iret_to_user
pc_iret_to_user:
    cli
    pushq $USER_DS
    pushq %rsi
    pushq $0x202                    /* interrupts on */
    pushq $USER_CS
    pushq %rdi
    movq %rdx, %rdi
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    iretq

    .section .bss
    .balign 8
    .global kernel_tss_rsp0
syscall_user_rsp:
    .quad 0
kernel_tss_rsp0:                    /* a copy of the TSS's rsp0 for syscall_entry */
    .quad 0
