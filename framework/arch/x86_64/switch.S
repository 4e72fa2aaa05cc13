/* arch_context_switch(struct thread *from, struct thread *to): save the
 * callee-saved registers and the FPU/SSE state of `from` on its stack and
 * in its fxsave area, load `to`'s. A new thread's stack is prepared by
 * arch_context_init so that the first switch to it "returns" into
 * thread_trampoline. */
    .section .text
    .code64
/* offsetof(struct thread, framework.saved_rsp / .fpu_state), checked in thread.c */
#define SAVED_RSP 0
#define FPU_STATE 16

    .global arch_context_switch
arch_context_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    fxsave64 FPU_STATE(%rdi)
    movq %rsp, SAVED_RSP(%rdi)
    movq SAVED_RSP(%rsi), %rsp
    fxrstor64 FPU_STATE(%rsi)
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/* The first code a new thread runs: entry(arg) is in r12/r13 (set up by
 * arch_context_init), then the exit hook. */
    .global thread_trampoline
thread_trampoline:
    call thread_started             /* releases the scheduler's interrupt mask */
    movq %r13, %rdi
    call *%r12
    call thread_exit_hook
    ud2
