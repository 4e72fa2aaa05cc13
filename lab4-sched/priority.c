/* Lab 4, challenge part: a priority scheduler with priority donation. Read
 * "Challenge part" in lab4-sched/README.md and the priority.c section of
 * lab4.h. sync.c calls the priority_mutex_* hooks, priority_pick_waiter and
 * priority_yield_if_outranked; until you write them they do nothing (and
 * wait queues wake in arrival order), so the core part works without them. */
#include "lab4.h"

static void priority_enqueue(struct thread *thread)
{
    (void)thread;
    /* TODO(challenge): keep the ready threads (thread->next, thread->prev). */
}

static struct thread *priority_pick_next(void)
{
    /* TODO(challenge): remove and return the ready thread of highest
     * thread->priority, the longest-waiting among equals. */
    return NULL;
}

static bool priority_tick(struct thread *current)
{
    (void)current;
    /* TODO(challenge): preempt when a ready thread outranks `current`, or
     * after RR_QUANTUM ticks in a row. */
    return false;
}

const struct scheduler_ops priority_scheduler = {
    .name = "priority",
    .enqueue = priority_enqueue,
    .pick_next = priority_pick_next,
    .tick = priority_tick,
};

void priority_thread_init(struct thread *thread, int priority)
{
    (void)thread, (void)priority;
    /* TODO(challenge): base and effective priority, no mutexes held, none
     * waited for. Where you keep the base priority and the rest is yours
     * (thread->sched_data, for instance); thread->priority is the effective
     * priority. */
}

struct thread *thread_create_priority(const char *name, int priority, void (*entry)(void *arg),
                                      void *arg)
{
    (void)name, (void)priority, (void)entry, (void)arg;
    /* TODO(challenge): thread_create, with its priority set before it can
     * run; then yield if it outranks the caller. */
    return NULL;
}

void thread_set_priority(int priority)
{
    (void)priority;
    /* TODO(challenge): set the base priority, recompute the effective one,
     * yield if outranked. */
}

int thread_get_priority(void)
{
    /* TODO(challenge) */
    return -1;
}

int thread_get_base_priority(void)
{
    /* TODO(challenge) */
    return -1;
}

void priority_yield_if_outranked(void)
{
    /* TODO(challenge): only with the priority scheduler installed, and only
     * where the caller may sleep. */
}

void priority_mutex_waiting(struct mutex *mutex)
{
    (void)mutex;
    /* TODO(challenge): donate down the chain of owners. */
}

void priority_mutex_acquired(struct mutex *mutex)
{
    (void)mutex;
    /* TODO(challenge): the running thread now holds `mutex`. */
}

void priority_mutex_released(struct mutex *mutex)
{
    (void)mutex;
    /* TODO(challenge): forget `mutex`; recompute the effective priority. */
}

struct thread *priority_pick_waiter(const struct wait_queue *queue)
{
    /* TODO(challenge): the highest-priority waiter when the priority
     * scheduler runs. */
    return queue->head;
}
