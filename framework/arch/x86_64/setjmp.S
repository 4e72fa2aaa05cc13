/* A minimal setjmp/longjmp for the kernel (callee-saved registers, stack and
 * return address), used by the in-kernel test runner to end a failing test
 * from any depth. Buffer layout: rbx, rbp, r12, r13, r14, r15, rsp, rip. */
    .section .text
    .code64
    .global keel_setjmp
keel_setjmp:
    movq %rbx, 0(%rdi)
    movq %rbp, 8(%rdi)
    movq %r12, 16(%rdi)
    movq %r13, 24(%rdi)
    movq %r14, 32(%rdi)
    movq %r15, 40(%rdi)
    leaq 8(%rsp), %rax              /* the caller's stack pointer after we return */
    movq %rax, 48(%rdi)
    movq (%rsp), %rax               /* return address */
    movq %rax, 56(%rdi)
    xorl %eax, %eax
    ret

    .global keel_longjmp
keel_longjmp:
    movq 0(%rdi), %rbx
    movq 8(%rdi), %rbp
    movq 16(%rdi), %r12
    movq 24(%rdi), %r13
    movq 32(%rdi), %r14
    movq 40(%rdi), %r15
    movq 48(%rdi), %rsp
    movl %esi, %eax
    testl %eax, %eax
    jnz 1f
    movl $1, %eax                   /* longjmp(buf, 0) returns 1, as in C */
1:  jmp *56(%rdi)
