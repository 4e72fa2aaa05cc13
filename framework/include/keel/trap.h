/* CPU exceptions and interrupts: the trap frame and handler registration.
 *
 * The framework installs an interrupt descriptor table before any C code can
 * fault. An exception nobody handles is reported (name, error code, faulting
 * address, registers, symbolised backtrace) and ends the run with
 * KEEL_EXIT_EXCEPTION. */
#ifndef KEEL_TRAP_H
#define KEEL_TRAP_H

#include <keel/types.h>

/* What the entry stubs save, lowest address first. The layout is fixed: the
 * assembly pushes it in exactly this order. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;     /* 0-31 exceptions, 32-255 interrupts */
    uint64_t error_code; /* 0 for vectors that push none */
    /* pushed by the CPU */
    uint64_t rip, cs, rflags, rsp, ss;
};

/* The CPU's exception vectors (Intel SDM vol. 3, section 6.15). */
#define TRAP_DIVIDE_ERROR         0
#define TRAP_DEBUG                1
#define TRAP_NMI                  2
#define TRAP_BREAKPOINT           3
#define TRAP_OVERFLOW             4
#define TRAP_BOUND_RANGE          5
#define TRAP_INVALID_OPCODE       6
#define TRAP_DEVICE_NOT_AVAILABLE 7
#define TRAP_DOUBLE_FAULT         8
#define TRAP_INVALID_TSS          10
#define TRAP_SEGMENT_NOT_PRESENT  11
#define TRAP_STACK_FAULT          12
#define TRAP_GENERAL_PROTECTION   13
#define TRAP_PAGE_FAULT           14
#define TRAP_X87_FPU              16
#define TRAP_ALIGNMENT_CHECK      17
#define TRAP_MACHINE_CHECK        18
#define TRAP_SIMD_FP              19

/* A handler returns true if it dealt with the trap (execution resumes at
 * frame->rip, which it may change) or false to fall through to the
 * framework's report. */
typedef bool (*trap_handler_t)(struct trap_frame *frame);

/* Install `handler` for `vector`, replacing any earlier one; NULL removes it.
 * Returns the previous handler so tests can put it back. Kernel context. */
trap_handler_t trap_set_handler(unsigned vector, trap_handler_t handler);

/* The name of exception `vector`, e.g. "page fault"; "interrupt" for 32+. */
const char *trap_name(unsigned vector);

/* Print the report the framework gives for an unhandled trap, without
 * stopping. Any context. */
void trap_print_report(const struct trap_frame *frame);

#endif
