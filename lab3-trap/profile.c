/* Lab 3, challenge part: a sampling profiler fed by the timer. Read
 * "Challenge part" in lab3-trap/README.md and the profile.c section of
 * lab3.h. timer_handler calls profile_tick; until you write it, it does
 * nothing, so the core part works without it. */
#include "lab3.h"

void profile_start(void)
{
    /* TODO(challenge): forget every sample and counter; start recording
     * (a tick may come meanwhile: mask interrupts while you reset). */
}

void profile_stop(void)
{
    /* TODO(challenge) */
}

void profile_tick(const struct trap_frame *frame)
{
    (void)frame;
    /* TODO(challenge): while profiling, profile_record the interrupted RIP
     * and RBP, noting whether it was user mode (frame->cs). */
}

void profile_record(uintptr_t rip, uintptr_t rbp, bool user)
{
    (void)rip, (void)rbp, (void)user;
    /* TODO(challenge): count it: user apart, kernel in your table of
     * PROFILE_MAX_SAMPLES (with its callers, walked from rbp), dropped when
     * the table is full. */
}

void profile_get_stats(struct profile_stats *out)
{
    /* TODO(challenge) */
    *out = (struct profile_stats){0};
}

size_t profile_histogram(struct profile_entry *out, size_t max)
{
    (void)out, (void)max;
    /* TODO(challenge): the samples by function (symbol_lookup), hottest
     * first. */
    return 0;
}

uint64_t profile_inclusive(const char *function)
{
    (void)function;
    /* TODO(challenge): samples with `function` anywhere on their stack. */
    return 0;
}

int profile_report(char *buf, size_t size, size_t top)
{
    (void)top;
    /* TODO(challenge): the report in lab3.h's format. */
    if (size)
        buf[0] = '\0';
    return 0;
}
