/* Lab 1, challenge part: single-stepping with the trap flag.
 * Read "Challenge part" of lab1-boot/README.md. */
#include "lab1.h"

int trace_call(uint64_t (*fn)(uint64_t), uint64_t arg, struct trace *out)
{
    (void)fn;
    (void)arg;
    (void)out;
    /* TODO(lab1 challenge): install a TRAP_DEBUG handler that records
     * frame->rip for each instruction of fn (from its first instruction until
     * its ret has run: watch frame->rsp), set RFLAGS_TF, call fn, clear
     * RFLAGS_TF, put the old handler back. */
    return -ENOSYS;
}
