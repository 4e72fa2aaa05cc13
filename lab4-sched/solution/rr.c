/* Lab 4, part 2: round-robin scheduling. (Reference solution.) */
#include "lab4.h"

#define TICKS_USED 0 /* thread->sched_data index */

static struct thread *head, *tail;

static void rr_enqueue(struct thread *thread)
{
    thread->next = NULL;
    thread->prev = tail;
    if (tail)
        tail->next = thread;
    else
        head = thread;
    tail = thread;
}

static struct thread *rr_pick_next(void)
{
    struct thread *thread = head;
    if (!thread)
        return NULL;
    head = thread->next;
    if (head)
        head->prev = NULL;
    else
        tail = NULL;
    thread->next = thread->prev = NULL;
    thread->sched_data[TICKS_USED] = 0;
    return thread;
}

static bool rr_tick(struct thread *current)
{
    return ++current->sched_data[TICKS_USED] >= RR_QUANTUM;
}

const struct scheduler_ops rr_scheduler = {
    .name = "round robin",
    .enqueue = rr_enqueue,
    .pick_next = rr_pick_next,
    .tick = rr_tick,
};
