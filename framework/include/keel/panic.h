/* Stopping the kernel when something is wrong. */
#ifndef KEEL_PANIC_H
#define KEEL_PANIC_H

#include <keel/types.h>

/* Print "KERNEL PANIC", the message, where it was called from, the registers
 * and a symbolised backtrace; tell the grader; then power off with exit status
 * KEEL_EXIT_PANIC. Use the panic() macro, which fills in file and line. Any
 * context; a panic while panicking halts at once. */
KEEL_NORETURN void panic_at(const char *file, int line, const char *fmt, ...) KEEL_PRINTF(3, 4);

/* panic("bad state %d", state): panic_at with the caller's file and line. */
#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* Report a bug the framework caught in code that called it (a double free, a
 * bad mapping, a heap overflow…): "BUG CAUGHT BY KEEL", the message, the
 * calling site `site` (a return address, symbolised), and a backtrace; then
 * stop like panic. Any context. */
KEEL_NORETURN void keel_report_bug(uintptr_t site, const char *fmt, ...) KEEL_PRINTF(2, 3);

/* Panic with the failed condition's text if `cond` is false. */
#define kassert(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            panic_at(__FILE__, __LINE__, "assertion failed: %s", #cond);                           \
    } while (0)

#endif
