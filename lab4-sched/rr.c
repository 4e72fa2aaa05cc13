/* Lab 4, part 2: round-robin scheduling. Read "Part 2" of lab4-sched/README.md. */
#include "lab4.h"

static void rr_enqueue(struct thread *thread)
{
    (void)thread;
    /* TODO(lab4): append to the ready queue (thread->next / thread->prev). */
}

static struct thread *rr_pick_next(void)
{
    /* TODO(lab4): remove and return the first ready thread (NULL if none);
     * it starts a fresh quantum. */
    return NULL;
}

static bool rr_tick(struct thread *current)
{
    (void)current;
    /* TODO(lab4): count the tick; true once the thread used RR_QUANTUM. */
    return false;
}

const struct scheduler_ops rr_scheduler = {
    .name = "round robin",
    .enqueue = rr_enqueue,
    .pick_next = rr_pick_next,
    .tick = rr_tick,
};
