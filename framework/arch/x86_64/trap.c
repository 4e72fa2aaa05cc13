/* Trap dispatch: registered handlers first, then the framework's report for
 * anything unhandled (see <keel/trap.h>). */
#include <keel/cpu.h>
#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/panic.h>
#include <keel/power.h>
#include <keel/protocol.h>
#include <keel/symbols.h>
#include <keel/testing.h>
#include <keel/thread.h>
#include <keel/trap.h>

#include "../../core/internal.h"

static trap_handler_t handlers[256];
static uint64_t dispatched[256]; /* trap_dispatch_count */
static volatile int reporting;   /* an unhandled trap is being reported */

static const char *const exception_names[32] = {
    "divide error",
    "debug",
    "non-maskable interrupt",
    "breakpoint",
    "overflow",
    "bound range exceeded",
    "invalid opcode",
    "device not available (FPU)",
    "double fault",
    "coprocessor segment overrun",
    "invalid TSS",
    "segment not present",
    "stack-segment fault",
    "general protection fault",
    "page fault",
    "reserved (15)",
    "x87 floating-point error",
    "alignment check",
    "machine check",
    "SIMD floating-point error",
    "virtualization exception",
    "control protection exception",
};

const char *trap_name(unsigned vector)
{
    if (vector >= 32)
        return "interrupt";
    return exception_names[vector] ? exception_names[vector] : "reserved exception";
}

trap_handler_t trap_set_handler(unsigned vector, trap_handler_t handler)
{
    if (vector >= 256)
        return NULL;
    trap_handler_t previous = handlers[vector];
    handlers[vector] = handler;
    return previous;
}

/* One line a student can act on: what the page fault was trying to do. */
static void print_page_fault(uint64_t error_code, uint64_t address)
{
    kprintf("  faulting address (CR2): %p\n", (void *)address);
    kprintf("  cause: %s while %s %s, in %s mode%s\n",
            error_code & 1 ? "protection violation" : "page not present",
            error_code & 16 ? "fetching an instruction at"
                            : (error_code & 2 ? "writing to" : "reading from"),
            address < 4096 ? "an address in the first page (a NULL pointer?)" : "that address",
            error_code & 4 ? "user" : "kernel",
            error_code & 8 ? " (reserved bit set in a page table entry)" : "");
}

void arch_print_registers(const struct trap_frame *f)
{
    if (!f)
        return;
    kprintf("  RIP %016lx  RSP %016lx  RBP %016lx  RFLAGS %08lx\n", f->rip, f->rsp, f->rbp,
            f->rflags);
    kprintf("  RAX %016lx  RBX %016lx  RCX %016lx  RDX %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
    kprintf("  RSI %016lx  RDI %016lx  R8  %016lx  R9  %016lx\n", f->rsi, f->rdi, f->r8, f->r9);
    kprintf("  R10 %016lx  R11 %016lx  R12 %016lx  R13 %016lx\n", f->r10, f->r11, f->r12, f->r13);
    kprintf("  R14 %016lx  R15 %016lx  CS %04lx  SS %04lx\n", f->r14, f->r15, f->cs, f->ss);
    kprintf("  CR0 %016lx  CR2 %016lx  CR3 %016lx  CR4 %016lx\n", cpu_read_cr0(), cpu_read_cr2(),
            cpu_read_cr3(), cpu_read_cr4());
}

/* Whether the trapped stack pointer is in (or just above) the boot stack's
 * guard page: the signature of a kernel stack overflow. */
static bool stack_overflowed(const struct trap_frame *frame)
{
    struct thread *thread = thread_current();
    if (thread && thread->framework.stack_bottom != (uintptr_t)boot_stack_bottom &&
        frame->rsp >= thread->framework.stack_bottom - PAGE_SIZE &&
        frame->rsp < thread->framework.stack_bottom + 256)
        return true;
    return frame->rsp >= (uintptr_t)boot_stack_guard &&
           frame->rsp < (uintptr_t)boot_stack_bottom + 256;
}

void trap_print_report(const struct trap_frame *frame)
{
    struct symbol_info where;
    unsigned vector = (unsigned)frame->vector;

    kprintf("\n*** CPU EXCEPTION %u: %s (error code %#lx)\n", vector, trap_name(vector),
            frame->error_code);
    if (symbol_lookup(frame->rip, &where))
        kprintf("  at %s+%#lx (%s:%d)\n", where.function, where.offset,
                where.file ? where.file : "?", where.line);
    else
        kprintf("  at %p (not inside a known kernel function)\n", (void *)frame->rip);
    if (vector == TRAP_PAGE_FAULT)
        print_page_fault(frame->error_code, cpu_read_cr2());
    if (stack_overflowed(frame))
        kprintf("  KERNEL STACK OVERFLOW: the stack pointer %p ran into the guard page below the "
                "stack of thread '%s'; look for deep recursion or large local arrays\n",
                (void *)frame->rsp, thread_current() ? thread_current()->name : "boot");
    else if (vector == TRAP_DOUBLE_FAULT)
        kprintf("  a double fault usually means the kernel stack overflowed (it ran into the "
                "guard page below it) or an exception happened while handling another\n");
    kprintf("Registers:\n");
    arch_print_registers(frame);
    kprintf("Backtrace (most recent call first):\n");
    if (symbol_lookup(frame->rip, &where))
        kprintf("  #0  %p %s+%#lx (%s:%d)\n", (void *)frame->rip, where.function, where.offset,
                where.file ? where.file : "?", where.line);
    else
        kprintf("  #0  %p ?\n", (void *)frame->rip);
    backtrace_print(frame->rbp);
}

void syscall_bad_return(uint64_t rip)
{
    keel_report_bug(0,
                    "a system call handler set the return address to %#lx, which is not "
                    "canonical: sysret would fault in kernel mode on the user's stack",
                    rip);
}

/* (faulting instruction, where to resume) pairs from safe.S. */
struct fixup {
    uintptr_t instruction, resume;
};
extern const struct fixup safe_fixups[], safe_fixups_end[];

static bool apply_fixup(struct trap_frame *frame)
{
    if (frame->vector != TRAP_PAGE_FAULT && frame->vector != TRAP_GENERAL_PROTECTION)
        return false;
    for (const struct fixup *f = safe_fixups; f < safe_fixups_end; f++) {
        if (frame->rip == f->instruction) {
            frame->rip = f->resume;
            return true;
        }
    }
    return false;
}

uint64_t trap_dispatch_count(unsigned vector)
{
    return vector < 256 ? __atomic_load_n(&dispatched[vector], __ATOMIC_RELAXED) : 0;
}

void trap_dispatch(struct trap_frame *frame)
{
    unsigned vector = (unsigned)frame->vector;
    trap_handler_t handler = handlers[vector];
    dispatched[vector & 255]++;

    if (apply_fixup(frame))
        return;

    if (handler && handler(frame))
        return;

    /* Unhandled: report and stop. A fault inside the report itself must not
     * loop, so a nested one stops at once. */
    if (reporting++ > 0) {
        console_early_write_str("\n*** another exception while reporting an exception; "
                                "stopping\n");
        kernel_power_off(KEEL_EXIT_EXCEPTION);
    }
    trap_print_report(frame);
    struct symbol_info where;
    bool known = symbol_lookup(frame->rip, &where);
    protocol_emit("EXCEPTION", "%s%s (vector %u, error code %#lx) at %s%s%#lx",
                  stack_overflowed(frame) ? "kernel stack overflow: " : "", trap_name(vector),
                  vector, frame->error_code, known ? where.function : "", known ? "+" : "",
                  known ? where.offset : frame->rip);
    kernel_power_off(KEEL_EXIT_EXCEPTION);
}
