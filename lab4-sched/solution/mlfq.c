/* Lab 4, part 4: a multi-level feedback queue. (Reference solution.) */
#include "lab4.h"

#define TICKS_USED 0 /* thread->sched_data index: ticks of the current quantum */

static struct thread *heads[MLFQ_LEVELS], *tails[MLFQ_LEVELS];
static uint64_t ticks_since_boost;

static void push(struct thread *thread, int level)
{
    thread->next = NULL;
    thread->prev = tails[level];
    if (tails[level])
        tails[level]->next = thread;
    else
        heads[level] = thread;
    tails[level] = thread;
}

static void mlfq_enqueue(struct thread *thread)
{
    if (thread->priority < 0 || thread->priority >= MLFQ_LEVELS)
        thread->priority = 0;
    push(thread, thread->priority);
}

static struct thread *mlfq_pick_next(void)
{
    for (int level = 0; level < MLFQ_LEVELS; level++) {
        struct thread *thread = heads[level];
        if (!thread)
            continue;
        heads[level] = thread->next;
        if (heads[level])
            heads[level]->prev = NULL;
        else
            tails[level] = NULL;
        thread->next = thread->prev = NULL;
        thread->sched_data[TICKS_USED] = 0;
        return thread;
    }
    return NULL;
}

/* Everybody back to the top, so threads that sank cannot starve. */
static void boost(struct thread *current)
{
    for (int level = 1; level < MLFQ_LEVELS; level++) {
        while (heads[level]) {
            struct thread *thread = heads[level];
            heads[level] = thread->next;
            thread->priority = 0;
            push(thread, 0);
        }
        tails[level] = NULL;
    }
    current->priority = 0;
}

static bool mlfq_tick(struct thread *current)
{
    if (++ticks_since_boost >= MLFQ_BOOST_TICKS) {
        ticks_since_boost = 0;
        boost(current);
    }
    uint64_t quantum = (uint64_t)MLFQ_BASE_QUANTUM << current->priority;
    if (++current->sched_data[TICKS_USED] < quantum)
        return false;
    if (current->priority < MLFQ_LEVELS - 1)
        current->priority++;
    return true;
}

const struct scheduler_ops mlfq_scheduler = {
    .name = "multi-level feedback queue",
    .enqueue = mlfq_enqueue,
    .pick_next = mlfq_pick_next,
    .tick = mlfq_tick,
};
