/* Non-local jumps inside the kernel, like C's setjmp/longjmp. The in-kernel
 * test runner uses them to end a failing test from any depth of calls. Not
 * lab API (keel.h says why). */
#ifndef KEEL_JUMP_H
#define KEEL_JUMP_H

#include <keel/types.h>

/* The context keel_setjmp saves: the callee-saved registers, the stack
 * pointer and the return address. An array of one, so that it passes by
 * reference as C's jmp_buf does; the caller owns it (a local variable is
 * fine). */
typedef struct {
    uint64_t saved[8];
} keel_jmp_buf[1];

/* Save the calling context in `buf`; returns 0, and later returns again with
 * the value given to keel_longjmp. The function that called keel_setjmp must
 * not have returned when keel_longjmp is called. Kernel context. */
int keel_setjmp(keel_jmp_buf buf) __attribute__((returns_twice));

/* Return to the context saved in `buf`, making keel_setjmp return `value`
 * (1 if `value` is 0). Never returns. */
KEEL_NORETURN void keel_longjmp(keel_jmp_buf buf, int value);

#endif
