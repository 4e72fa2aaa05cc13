/* Lab 4, part 4: a multi-level feedback queue. Read "Part 4" of
 * lab4-sched/README.md. */
#include "lab4.h"

static void mlfq_enqueue(struct thread *thread)
{
    (void)thread;
    /* TODO(lab4): append to the queue of level thread->priority. */
}

static struct thread *mlfq_pick_next(void)
{
    /* TODO(lab4): the first thread of the highest non-empty level. */
    return NULL;
}

static bool mlfq_tick(struct thread *current)
{
    (void)current;
    /* TODO(lab4): boost every MLFQ_BOOST_TICKS; count the tick against the
     * quantum of the thread's level; demote and return true when used up. */
    return false;
}

const struct scheduler_ops mlfq_scheduler = {
    .name = "multi-level feedback queue",
    .enqueue = mlfq_enqueue,
    .pick_next = mlfq_pick_next,
    .tick = mlfq_tick,
};
