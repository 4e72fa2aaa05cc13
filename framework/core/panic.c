/* panic() and backtraces (see <keel/panic.h>, <keel/symbols.h>). */
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/kprintf.h>
#include <keel/panic.h>
#include <keel/power.h>
#include <keel/protocol.h>
#include <keel/symbols.h>

#include "internal.h"

#include <stdarg.h>

#define BACKTRACE_MAX_FRAMES 32

volatile int panic_in_progress;

void backtrace_print(uintptr_t rbp)
{
    if (rbp == 0) /* our own frame holds the return address into our caller */
        rbp = (uintptr_t)__builtin_frame_address(0);
    uintptr_t bottom, top;
    if (!platform_stack_bounds(rbp, &bottom, &top)) {
        kprintf("  (frame pointer %p is on no known kernel stack; no backtrace)\n", (void *)rbp);
        return;
    }
    uintptr_t previous_return = 0;
    int repeats = 0;
    for (int depth = 1; depth < BACKTRACE_MAX_FRAMES; depth++) {
        /* A frame is [saved rbp][return address]; both must lie inside the
         * stack, and frames must move towards its top. */
        if (rbp == 0 || rbp % 8 != 0 || rbp < bottom || rbp + 16 > top)
            break;
        uintptr_t next = ((uintptr_t *)rbp)[0];
        uintptr_t return_address = ((uintptr_t *)rbp)[1];
        if (return_address == 0)
            break;
        /* Deep recursion: one line for the run of identical frames. */
        if (return_address == previous_return) {
            repeats++;
            depth--;
            if (next <= rbp)
                break;
            rbp = next;
            continue;
        }
        if (repeats)
            kprintf("      (the frame above repeats %d more times: deep or endless recursion?)\n",
                    repeats);
        repeats = 0;
        previous_return = return_address;
        struct symbol_info where;
        if (symbol_lookup(return_address - 1, &where))
            kprintf("  #%-2d %p %s+%#lx (%s:%d)\n", depth, (void *)return_address, where.function,
                    where.offset + 1, where.file ? where.file : "?", where.line);
        else
            kprintf("  #%-2d %p ?\n", depth, (void *)return_address);
        if (next <= rbp)
            break;
        rbp = next;
        if (depth == BACKTRACE_MAX_FRAMES - 1)
            kprintf("  ... (more frames not shown)\n");
    }
    if (repeats)
        kprintf("      (the frame above repeats %d more times: deep or endless recursion?)\n",
                repeats);
}

void keel_report_bug(uintptr_t site, const char *fmt, ...)
{
    cpu_irq_disable();
    if (panic_in_progress++) {
        console_early_write_str("\n*** bug report while panicking; stopping\n");
        kernel_power_off(KEEL_EXIT_PANIC);
    }
    char message[320];
    va_list args;
    va_start(args, fmt);
    kvsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    kprintf("\n*** BUG CAUGHT BY KEEL: %s\n", message);
    char caller[160];
    if (site)
        kprintf("    called from %s\n", symbol_describe(site, caller, sizeof(caller)));
    kprintf("Backtrace (most recent call first):\n");
    backtrace_print((uintptr_t)__builtin_frame_address(0));
    struct symbol_info where;
    bool known = site && symbol_lookup(site - 1, &where);
    protocol_emit("PANIC", "bug caught by Keel: %s (called from %s)", message,
                  known ? where.function : "?");
    kernel_power_off(KEEL_EXIT_PANIC);
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
    cpu_irq_disable();
    if (panic_in_progress++) {
        console_early_write_str("\n*** panic while panicking; stopping\n");
        kernel_power_off(KEEL_EXIT_PANIC);
    }
    char message[256];
    va_list args;
    va_start(args, fmt);
    kvsnprintf(message, sizeof(message), fmt, args);
    va_end(args);

    kprintf("\n*** KERNEL PANIC: %s\n    at %s:%d\n", message, file, line);
    uintptr_t rsp;
    __asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
    kprintf("Registers:\n  RSP %016lx  RBP %016lx  RFLAGS %08lx\n", rsp,
            (uintptr_t)__builtin_frame_address(0), cpu_read_rflags());
    kprintf("  CR0 %016lx  CR2 %016lx  CR3 %016lx  CR4 %016lx\n", cpu_read_cr0(), cpu_read_cr2(),
            cpu_read_cr3(), cpu_read_cr4());
    kprintf("Backtrace (most recent call first):\n");
    uintptr_t rbp = (uintptr_t)__builtin_frame_address(0);
    backtrace_print(rbp);
    protocol_emit("PANIC", "%s (at %s:%d)", message, file, line);
    kernel_power_off(KEEL_EXIT_PANIC);
}
