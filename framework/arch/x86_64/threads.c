/* The machine-specific side of threads: the first frame of a new thread and
 * the FPU/SSE state. */
#include <keel/cpu.h>
#include <keel/frame.h>
#include <keel/paging.h>
#include <keel/string.h>
#include <keel/thread.h>

#include "../../core/internal.h"

extern void thread_trampoline(void);

uintptr_t arch_context_init(uintptr_t stack_top, uintptr_t entry, uintptr_t arg)
{
    uint64_t *sp = (uint64_t *)stack_top;
    /* The first switch "returns" into thread_trampoline with rsp == stack_top,
     * 16-aligned as the ABI wants it at each call the trampoline makes (the
     * Linux platform's C library relies on it). */
    *--sp = (uint64_t)thread_trampoline;
    *--sp = 0;     /* rbp: backtraces stop here */
    *--sp = 0;     /* rbx */
    *--sp = entry; /* r12 */
    *--sp = arg;   /* r13 */
    *--sp = 0;     /* r14 */
    *--sp = 0;     /* r15 */
    return (uintptr_t)sp;
}

void arch_fpu_init(uint8_t *area)
{
    __asm__ volatile("fninit\n\tfxsave64 (%0)" ::"r"(area) : "memory");
    /* MXCSR: all SIMD exceptions masked, round to nearest. */
    uint32_t mxcsr = 0x1f80;
    memcpy(area + 24, &mxcsr, sizeof(mxcsr));
}
