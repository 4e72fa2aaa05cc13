/* Lab 1, challenge part: single-stepping with the trap flag. (Reference
 * solution.) */
#include "lab1.h"

static struct trace *tracing; /* the trace being taken, or NULL */
static uintptr_t entry_rip;   /* fn's first instruction */
static uintptr_t entry_rsp;   /* rsp there: fn's return address is on top */
static bool inside, finished;

/* The debug exception after each instruction: frame->rip is the next one.
 * Before fn starts, the instructions are trace_call's own (the call); once
 * rsp is above entry_rsp, fn's ret has run and the trace is over. */
static bool debug_trap(struct trap_frame *frame)
{
    if (!tracing || finished)
        return false;
    if (!inside) {
        if (frame->rip != entry_rip)
            return true;
        inside = true;
        entry_rsp = frame->rsp;
    } else if (frame->rsp > entry_rsp) {
        finished = true;
        frame->rflags &= ~RFLAGS_TF;
        return true;
    }
    if (tracing->recorded < TRACE_MAX_RECORDED)
        tracing->rip[tracing->recorded++] = frame->rip;
    tracing->steps++;
    return true;
}

static inline void trap_flag_set(void)
{
    __asm__ volatile("pushfq\n\torq %0, (%%rsp)\n\tpopfq" ::"i"(RFLAGS_TF) : "memory", "cc");
}

static inline void trap_flag_clear(void)
{
    __asm__ volatile("pushfq\n\tandq %0, (%%rsp)\n\tpopfq" ::"i"(~RFLAGS_TF) : "memory", "cc");
}

int trace_call(uint64_t (*fn)(uint64_t), uint64_t arg, struct trace *out)
{
    if (tracing)
        return -EBUSY;
    memset(out, 0, sizeof(*out));
    entry_rip = (uintptr_t)fn;
    inside = finished = false;
    tracing = out;
    trap_handler_t saved = trap_set_handler(TRAP_DEBUG, debug_trap);
    bool interrupts = cpu_irq_save();
    trap_flag_set();
    uint64_t result = fn(arg);
    trap_flag_clear();
    cpu_irq_restore(interrupts);
    trap_set_handler(TRAP_DEBUG, saved);
    tracing = NULL;
    out->result = result;
    return 0;
}
