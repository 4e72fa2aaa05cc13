/* The boot stack, with a guard page below it that main() makes inaccessible,
 * and the jump onto it: linux_boot(magic, address, stack_top) never returns.
 * And linux_clone_on_stack, for a child that must not share a stack. */
    .section .bss
    .balign 4096
    .global boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
    .skip 4096
boot_stack_bottom:
    .skip 256 * 1024            /* AddressSanitizer makes frames larger */
boot_stack_top:

    .section .text
    .global linux_boot
linux_boot:
    movq %rdx, %rsp
    xorl %ebp, %ebp             /* backtraces stop here */
    call keel_start
    ud2

/* linux_clone_on_stack(flags, stack_top, entry, argument): clone(2) with
 * `flags`; the child starts entry(argument) on stack_top (16-byte aligned)
 * and must never return. The parent gets the child's pid, or -errno. */
    .global linux_clone_on_stack
linux_clone_on_stack:
    pushq %r12
    pushq %r13
    movq %rdx, %r12
    movq %rcx, %r13
    xorl %edx, %edx             /* no parent or child tid, no TLS */
    xorl %r10d, %r10d
    xorl %r8d, %r8d
    movl $56, %eax              /* SYS_clone */
    syscall
    testq %rax, %rax
    jz 1f
    popq %r13
    popq %r12
    ret
1:  xorl %ebp, %ebp
    movq %r13, %rdi
    call *%r12
    ud2

    .section .note.GNU-stack, "", @progbits
