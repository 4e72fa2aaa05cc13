/* Trap dispatch: registered handlers first, then the framework's report for
 * anything unhandled (see <keel/trap.h>). */
#include <keel/cpu.h>
#include <keel/interrupt.h>
#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/power.h>
#include <keel/protocol.h>
#include <keel/safe.h>
#include <keel/string.h>
#include <keel/symbols.h>
#include <keel/testing.h>
#include <keel/thread.h>
#include <keel/trap.h>
#include <keel/user.h>

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

/* What the report says a likely cause is, in a few words, also in the
 * EXCEPTION frame (so the grader's one-line verdict has it); "" if none. */
static char hint[160];

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
    /* A user page, touched by the kernel: SMAP refuses it on a PC, and the
     * Linux platform's kernel has no user memory at all. */
    pte_t user_entry = address < USER_SPACE_END && address >= PAGE_SIZE
                           ? paging_lookup(paging_current_root(), address, NULL)
                           : 0;
    uintptr_t ram_end = platform_direct_map_base + (mm_frame_count() << PAGE_SHIFT);
    if (!(error_code & 4) && pte_present(user_entry) && (user_entry & PTE_USER)) {
        ksnprintf(hint, sizeof(hint),
                  "the kernel used user address %#lx directly: user memory must go through "
                  "copy_from_user or copy_to_user",
                  address);
        kprintf("  %s (or strncpy_from_user: they check the address and reach the program's "
                "memory; a plain memcpy or pointer does not)\n",
                hint);
    } else if (!(error_code & 4) && address >= ram_end && address - ram_end < (1ul << 40)) {
        /* Just past the direct map's RAM: an index or offset too large. */
        ksnprintf(hint, sizeof(hint),
                  "the address is %#lx bytes past the end of RAM in the direct map: indexing past "
                  "the end of a table?",
                  address - ram_end);
        kprintf("  %s (an index or offset too large: is every index masked or checked against "
                "the table's size?)\n",
                hint);
    }
}

/* `value`'s bytes as text (at least four printable ASCII characters, then
 * only NULs), as memory holding a string would load into a register. */
static bool reads_as_text(uint64_t value, char text[9])
{
    int length = 0;
    while (length < 8 && (value >> (8 * length) & 0xff) >= 0x20 &&
           (value >> (8 * length) & 0xff) <= 0x7e) {
        text[length] = (char)(value >> (8 * length));
        length++;
    }
    text[length] = 0;
    return length >= 4 && (length == 8 || value >> (8 * length) == 0);
}

/* Read `size` bytes at `address` without faulting. */
static bool peek(uintptr_t address, void *out, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (!safe_read8((const void *)(address + i), (uint8_t *)out + i))
            return false;
    return true;
}

/* The target an indirect call or jump through memory at RIP (FF /2, FF /4)
 * tried to go to: a CPU refuses a non-canonical one at that instruction,
 * with the target only in memory. */
static bool indirect_target(const struct trap_frame *f, uint64_t *target)
{
    const uint64_t regs[16] = {f->rax, f->rcx, f->rdx, f->rbx, f->rsp, f->rbp, f->rsi, f->rdi,
                               f->r8,  f->r9,  f->r10, f->r11, f->r12, f->r13, f->r14, f->r15};
    uint8_t b[16];
    if (!peek(f->rip, b, sizeof(b)))
        return false;
    unsigned i = 0, rex = (b[0] & 0xf0) == 0x40 ? b[i++] : 0;
    unsigned modrm = b[i + 1], mod = modrm >> 6, op = (modrm >> 3) & 7, rm = modrm & 7;
    if (b[i] != 0xff || mod == 3 || (op != 2 && op != 4))
        return false;
    i += 2;
    int32_t disp32;
    uint64_t address = 0;
    if (rm == 4) {
        unsigned sib = b[i++], index = ((sib >> 3) & 7) | (rex & 2) << 2;
        if (index != 4)
            address += regs[index] << (sib >> 6);
        if ((sib & 7) == 5 && mod == 0) {
            memcpy(&disp32, b + i, 4), i += 4;
            address += (uint64_t)(int64_t)disp32;
        } else {
            address += regs[(sib & 7) | (rex & 1) << 3];
        }
    } else if (rm == 5 && mod == 0) {
        memcpy(&disp32, b + i, 4), i += 4;
        address = f->rip + i + (uint64_t)(int64_t)disp32;
    } else {
        address = regs[rm | (rex & 1) << 3];
    }
    if (mod == 1)
        address += (uint64_t)(int64_t)(int8_t)b[i];
    if (mod == 2) {
        memcpy(&disp32, b + i, 4);
        address += (uint64_t)(int64_t)disp32;
    }
    return peek(address, target, sizeof(*target));
}

/* A general protection fault says no address; a register (or RIP, or the
 * target of an indirect call or jump) that is not canonical is the usual
 * reason, and its value says where it came from. */
/* Where an interrupt vector's interrupts come from, for the report of one
 * nothing handled. */
static const char *vector_source(unsigned vector)
{
    if (vector == TIMER_VECTOR)
        return "the local APIC timer, started by timer_start";
    if (vector == USER_SYSCALL_VECTOR)
        return "the system-call vector: int $0x80, or syscall from user mode";
    if (vector == SPURIOUS_VECTOR)
        return "the local APIC's spurious vector";
    if (vector < IRQ_VECTOR_BASE + 16)
        return "a device line, unmasked by irq_unmask";
    return "a software interrupt: an int instruction";
}

static void print_protection_fault(const struct trap_frame *f)
{
    uint64_t values[] = {f->rip, f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi, f->rbp, f->r8,
                         f->r9,  f->r10, f->r11, f->r12, f->r13, f->r14, f->r15, 0};
    static const char *const names[] = {"RIP", "RAX", "RBX", "RCX", "RDX", "RSI",
                                        "RDI", "RBP", "R8",  "R9",  "R10", "R11",
                                        "R12", "R13", "R14", "R15", "RIP"};
    const unsigned target = KEEL_ARRAY_SIZE(values) - 1; /* the call's target, if there is one */
    unsigned i = 0;
    if ((f->cs & 3) == 3)
        return; /* a user program's registers are its own business */
    if (!indirect_target(f, &values[target]))
        values[target] = 0;
    /* A register only counts when its value shows where it came from (text,
     * poison): registers may hold other non-canonical numbers, e.g. the
     * constants of word-at-a-time string code. */
    char text[9];
    while (
        i < KEEL_ARRAY_SIZE(values) &&
        (va_is_canonical(values[i]) || (i != 0 && i != target && !reads_as_text(values[i], text) &&
                                        values[i] != 0x6b6b6b6b6b6b6b6bul)))
        i++;
    if (i == KEEL_ARRAY_SIZE(values))
        return;
    bool jumped = i == 0 || i == target;
    kprintf("  cause: %s %#lx, which is not a canonical address (bits 63-47 must all be "
            "equal), so the CPU refused it\n",
            jumped ? "the code was to jump to" : names[i], values[i]);
    if (values[i] == 0x6b6b6b6b6b6b6b6bul)
        ksnprintf(hint, sizeof(hint),
                  "%s holds 0x6b6b6b6b6b6b6b6b, the pattern of freed memory: a pointer read "
                  "after it was freed?",
                  names[i]);
    else if (reads_as_text(values[i], text) && jumped)
        ksnprintf(hint, sizeof(hint),
                  "the code jumped to the text \"%s\" as an address: a function pointer read "
                  "from past the end of a table?",
                  text);
    else if (reads_as_text(values[i], text))
        ksnprintf(hint, sizeof(hint),
                  "%s holds the text \"%s\" as an address: indexing past the end of a table?",
                  names[i], text);
    else
        ksnprintf(hint, sizeof(hint),
                  "the code jumped to a non-canonical address: a corrupted function pointer, or "
                  "one read from past the end of a table?");
    kprintf("  %s (memory that is not a pointer was used as one: an entry read past the end of "
            "a table or array is whatever lies after it; is every index checked against the "
            "table's size?)\n",
            hint);
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
    hint[0] = 0;
    if (vector == TRAP_PAGE_FAULT)
        print_page_fault(frame->error_code, cpu_read_cr2());
    else if (vector == TRAP_GENERAL_PROTECTION || vector == TRAP_STACK_FAULT)
        print_protection_fault(frame);
    else if (vector >= IRQ_VECTOR_BASE && vector < 256) {
        ksnprintf(hint, sizeof(hint), "vector %u (%s) %s", vector, vector_source(vector),
                  handlers[vector] ? "has a handler that returned false (did not handle it)"
                                   : "has no handler (trap_set_handler installs one)");
        kprintf("  %s: %s\n", hint,
                vector == USER_SYSCALL_VECTOR ? "a system call arrived that nothing handled"
                : vector < IRQ_VECTOR_BASE + 16 || vector == TIMER_VECTOR
                    ? "the interrupt came before the code that handles it was in place"
                    : "nothing in the kernel raises it but an `int` instruction");
    }
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

/* A copy of the most recent trap frame trap_dispatch was given, and where
 * that frame was: for gdb's keel-tf when stopped outside a trap handler (the
 * frame itself is gone once the trap returns). Only gdb reads them. */
struct trap_frame trap_last_frame;
struct trap_frame *trap_last_frame_at;

void trap_dispatch(struct trap_frame *frame)
{
    trap_last_frame = *frame;
    trap_last_frame_at = frame;
    unsigned vector = (unsigned)frame->vector;
    trap_handler_t handler = handlers[vector];
    uint64_t saved_rip = frame->rip;
    dispatched[vector & 255]++;

    if (apply_fixup(frame))
        return;

    if (handler && handler(frame)) {
        /* A system call made by the last instruction below USER_SPACE_END
         * returns to a non-canonical address the CPU saved itself: not a
         * handler's bug but the program's. Fetching there is a general
         * protection fault in user mode, so deliver that now (sysret would
         * fault in kernel mode, and iretq does on some CPUs). */
        if (vector == USER_SYSCALL_VECTOR && trap_from_user(frame) &&
            !va_is_canonical(frame->rip) && frame->rip == saved_rip) {
            frame->vector = TRAP_GENERAL_PROTECTION;
            frame->error_code = 0;
            trap_dispatch(frame);
        }
        return;
    }

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
    protocol_emit("EXCEPTION", "%s%s (vector %u, error code %#lx) at %s%s%#lx%s%s",
                  stack_overflowed(frame) ? "kernel stack overflow: " : "", trap_name(vector),
                  vector, frame->error_code, known ? where.function : "", known ? "+" : "",
                  known ? where.offset : frame->rip, hint[0] ? ": " : "", hint);
    kernel_power_off(KEEL_EXIT_EXCEPTION);
}
