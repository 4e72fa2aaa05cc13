/* Entry stubs for all 256 interrupt vectors. Each pushes an error code (a zero
 * for vectors where the CPU pushes none) and its vector number, then jumps to
 * trap_common, which saves the registers as a struct trap_frame (see
 * <keel/trap.h>) and calls trap_dispatch(frame). */

#include "trap_frame.inc"

    .section .text
    .code64

/* Vectors for which the CPU pushes an error code itself. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

    .balign 16
    .global trap_stubs
trap_stubs:
    .set vector, 0
    .rept 256
    .balign 16
    .if HAS_ERROR_CODE(vector) == 0
    pushq $0
    .endif
    pushq $vector
    jmp trap_common
    .set vector, vector + 1
    .endr

trap_common:
    SAVE_GENERAL_REGISTERS
    cld
    movq %rsp, %rdi
    call trap_dispatch
    RESTORE_GENERAL_REGISTERS
    addq $16, %rsp                  /* vector and error code */
    iretq
