/* The boot stack, with a guard page below it that main() makes inaccessible,
 * and the jump onto it: linux_boot(magic, address, stack_top) never returns. */
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

    .section .note.GNU-stack, "", @progbits
