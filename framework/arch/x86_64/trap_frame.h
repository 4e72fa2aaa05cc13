/* Assembler macros that save and restore the general registers in the order
 * of struct trap_frame (<keel/trap.h>), shared by every trap entry path. */
#ifndef KEEL_ARCH_TRAP_FRAME_H
#define KEEL_ARCH_TRAP_FRAME_H

.macro SAVE_GENERAL_REGISTERS
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

.macro RESTORE_GENERAL_REGISTERS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

#endif
