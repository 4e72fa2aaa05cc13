/* The code every user address space (a traced child process) carries at
 * LINUX_STUB_CODE. usermode_stub.c copies the bytes between linux_stub_start and
 * linux_stub_end there. The kernel runs these entries itself, with every
 * register set, and user code cannot use them to reach Linux: while user
 * code runs, each of its system calls is stopped by ptrace and handed to the
 * Keel kernel instead (PTRACE_SYSEMU), wherever it comes from. The code uses
 * no stack and no memory the user can write. */
#include "stub.h"

#define SYS_mprotect 10
#define SYS_munmap   11
#define PROT_READ    1

/* Load argument `index` (0 to 5) of the request at %rbx into `register`, in
 * the order of the system-call convention: a request is its number, then
 * its six arguments, eight bytes each (stub.h). */
.macro REQUEST_ARGUMENT index, register
    movq (8 + 8 * \index)(%rbx), \register
.endm

    .section .rodata
    .balign 4096
    .global linux_stub_start, linux_stub_end
linux_stub_start:

/* Wipe: the child was a copy of the kernel process; leave only the stub.
 * Stops with rax 0, or the error of the unmap that failed. */
    .org linux_stub_start + LINUX_STUB_WIPE, 0xcc
    movl $SYS_munmap, %eax
    xorl %edi, %edi
    movabsq $LINUX_STUB_BASE, %rsi
    syscall
    testq %rax, %rax
    jnz 1f
    movl $SYS_munmap, %eax
    movabsq $(LINUX_STUB_BASE + LINUX_STUB_SIZE), %rdi
    movabsq $(LINUX_USER_TOP - LINUX_STUB_BASE - LINUX_STUB_SIZE), %rsi
    syscall
1:  int3

/* Run: make each request in LINUX_STUB_OPS until LINUX_STUB_END; stop at
 * the first that fails with its error in rax and its address in rbx. The
 * requests are readable only meanwhile: user code finds nothing there. */
    .org linux_stub_start + LINUX_STUB_RUN, 0xcc
    movl $SYS_mprotect, %eax
    movabsq $LINUX_STUB_OPS, %rdi
    movl $LINUX_STUB_OPS_SIZE, %esi
    movl $PROT_READ, %edx
    syscall
    movabsq $LINUX_STUB_OPS, %rbx
1:  movq (%rbx), %rax
    cmpq $LINUX_STUB_END, %rax
    je 2f
    REQUEST_ARGUMENT 0, %rdi
    REQUEST_ARGUMENT 1, %rsi
    REQUEST_ARGUMENT 2, %rdx
    REQUEST_ARGUMENT 3, %r10
    REQUEST_ARGUMENT 4, %r8
    REQUEST_ARGUMENT 5, %r9
    syscall
    cmpq $-4095, %rax
    jae 3f
    addq $LINUX_STUB_OP_SIZE, %rbx
    jmp 1b
2:  xorl %eax, %eax
3:  movq %rax, %r12
    movl $SYS_mprotect, %eax
    movabsq $LINUX_STUB_OPS, %rdi
    movl $LINUX_STUB_OPS_SIZE, %esi
    xorl %edx, %edx
    syscall
    movq %r12, %rax
    int3

/* Fault handler (SIGSEGV, SIGBUS, SIGILL, SIGFPE; SA_SIGINFO, so rdx is the
 * ucontext): hand the CPU's own error code, trap number and fault address
 * to the kernel. */
    .org linux_stub_start + LINUX_STUB_FAULT, 0xcc
    movq LINUX_UCONTEXT_ERR(%rdx), %rax
    movq LINUX_UCONTEXT_TRAPNO(%rdx), %rbx
    movq LINUX_UCONTEXT_CR2(%rdx), %rcx
    int3

    .org linux_stub_start + LINUX_STUB_RESTORER, 0xcc
    int3

    .org linux_stub_start + 4096, 0xcc
linux_stub_end:

    .section .note.GNU-stack, "", @progbits
