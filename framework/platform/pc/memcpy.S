/* memcpy and memset for the PC, with the string instructions, eight bytes at
 * a time where the length allows: far faster than byte loops, on hardware
 * and even more so under emulation. They override core/string.c's weak C
 * versions; the Linux platform uses the C library's, which AddressSanitizer
 * checks. */
    .section .text
    .code64
    .global memcpy
memcpy:
    movq %rdi, %rax
    movq %rdx, %rcx
    shrq $3, %rcx
    rep movsq
    movq %rdx, %rcx
    andq $7, %rcx
    rep movsb
    ret

    .global memset
memset:
    movq %rdi, %r9
    movzbl %sil, %eax
    movabsq $0x0101010101010101, %r8
    imulq %r8, %rax                 /* the byte in all eight lanes */
    movq %rdx, %rcx
    shrq $3, %rcx
    rep stosq
    movq %rdx, %rcx
    andq $7, %rcx
    rep stosb
    movq %r9, %rax
    ret
