/* safe_read8 / safe_write8 (see <keel/safe.h>). Each access instruction is
 * listed in the fixup table: when it faults, trap_dispatch resumes at the
 * fixup, which returns false. */
    .section .text
    .code64

    .global safe_read8
safe_read8:
    xorl %eax, %eax
1:  movb (%rdi), %cl
    movb %cl, (%rsi)
    movl $1, %eax
    ret

    .global safe_write8
safe_write8:
2:  movb %sil, (%rdi)
    movl $1, %eax
    ret

safe_fault:
    xorl %eax, %eax
    ret

    .section .rodata
    .balign 8
    .global safe_fixups, safe_fixups_end
safe_fixups:
    .quad 1b, safe_fault
    .quad 2b, safe_fault
safe_fixups_end:
