/* Lab 4, challenge part: a priority scheduler with priority donation.
 * (Reference solution.)
 *
 * thread->priority is the effective priority; the rest of a thread's state
 * lives in its sched_data. One CPU and interrupts masked around every change
 * make each walk over other threads' fields atomic. */
#include "lab4.h"

#define TICKS_USED  0 /* sched_data: ticks of the current turn */
#define BASE        1 /* sched_data: base priority */
#define WAITING_FOR 2 /* sched_data: the mutex the thread sleeps on, or 0 */
#define HELD        3 /* sched_data: the first mutex it holds (next_held links the rest) */

/* Ready threads in arrival order; pick_next takes the first of the highest
 * priority, so equal priorities take turns and a priority may change while
 * the thread waits here. */
static struct thread *head, *tail;

static bool active(void)
{
    return scheduler_current() == &priority_scheduler;
}

static int clamp(int priority)
{
    return priority < PRI_MIN ? PRI_MIN : priority > PRI_MAX ? PRI_MAX : priority;
}

static void priority_enqueue(struct thread *thread)
{
    thread->next = NULL;
    thread->prev = tail;
    if (tail)
        tail->next = thread;
    else
        head = thread;
    tail = thread;
}

static struct thread *best_ready(void)
{
    struct thread *best = head;
    for (struct thread *thread = head; thread; thread = thread->next)
        if (thread->priority > best->priority)
            best = thread;
    return best;
}

static struct thread *priority_pick_next(void)
{
    struct thread *thread = best_ready();
    if (!thread)
        return NULL;
    if (thread->prev)
        thread->prev->next = thread->next;
    else
        head = thread->next;
    if (thread->next)
        thread->next->prev = thread->prev;
    else
        tail = thread->prev;
    thread->next = thread->prev = NULL;
    thread->sched_data[TICKS_USED] = 0;
    return thread;
}

static bool priority_tick(struct thread *current)
{
    struct thread *best = best_ready();
    if (best && best->priority > current->priority)
        return true;
    return ++current->sched_data[TICKS_USED] >= RR_QUANTUM;
}

const struct scheduler_ops priority_scheduler = {
    .name = "priority",
    .enqueue = priority_enqueue,
    .pick_next = priority_pick_next,
    .tick = priority_tick,
};

void priority_thread_init(struct thread *thread, int priority)
{
    thread->priority = clamp(priority);
    thread->sched_data[BASE] = (uint64_t)thread->priority;
    thread->sched_data[WAITING_FOR] = 0;
    thread->sched_data[HELD] = 0;
}

/* The highest priority among the threads waiting for `mutex` (-1: none). */
static int strongest_waiter(const struct mutex *mutex)
{
    int best = -1;
    for (struct thread *thread = mutex->waiters.head; thread; thread = thread->next)
        if (thread->priority > best)
            best = thread->priority;
    return best;
}

/* thread->priority again from its base and the mutexes it still holds. */
static void recompute(struct thread *thread)
{
    int priority = (int)thread->sched_data[BASE];
    for (struct mutex *mutex = (struct mutex *)thread->sched_data[HELD]; mutex;
         mutex = mutex->next_held) {
        int donated = strongest_waiter(mutex);
        if (donated > priority)
            priority = donated;
    }
    thread->priority = priority;
}

struct thread *thread_create_priority(const char *name, int priority, void (*entry)(void *arg),
                                      void *arg)
{
    irq_push_off(); /* it must not run before it has its priority */
    struct thread *thread = thread_create(name, entry, arg);
    if (thread)
        priority_thread_init(thread, priority);
    irq_pop_off();
    priority_yield_if_outranked();
    return thread;
}

void thread_set_priority(int priority)
{
    struct thread *self = thread_current();
    irq_push_off();
    self->sched_data[BASE] = (uint64_t)clamp(priority);
    recompute(self);
    irq_pop_off();
    priority_yield_if_outranked();
}

int thread_get_priority(void)
{
    return thread_current()->priority;
}

int thread_get_base_priority(void)
{
    return (int)thread_current()->sched_data[BASE];
}

void priority_yield_if_outranked(void)
{
    struct thread *self = thread_current();
    if (!active() || !self || !cpu_irq_enabled() || irq_nesting() > 0)
        return;
    irq_push_off();
    struct thread *best = best_ready();
    bool outranked = best && best->priority > self->priority;
    irq_pop_off();
    if (outranked)
        thread_yield();
}

void priority_mutex_waiting(struct mutex *mutex)
{
    if (!active())
        return;
    struct thread *self = thread_current();
    self->sched_data[WAITING_FOR] = (uintptr_t)mutex;
    /* Down the chain while the donation raises someone; it stops at a
     * thread that already runs at least this high, so a cycle (a deadlock)
     * ends too. */
    for (struct thread *holder = mutex->owner; holder && holder->priority < self->priority;) {
        holder->priority = self->priority;
        struct mutex *next = (struct mutex *)holder->sched_data[WAITING_FOR];
        holder = next ? next->owner : NULL;
    }
}

void priority_mutex_acquired(struct mutex *mutex)
{
    if (!active())
        return;
    struct thread *self = thread_current();
    self->sched_data[WAITING_FOR] = 0;
    mutex->next_held = (struct mutex *)self->sched_data[HELD];
    self->sched_data[HELD] = (uintptr_t)mutex;
}

void priority_mutex_released(struct mutex *mutex)
{
    if (!active())
        return;
    struct thread *self = thread_current();
    struct mutex **link = (struct mutex **)&self->sched_data[HELD];
    while (*link && *link != mutex)
        link = &(*link)->next_held;
    if (*link)
        *link = mutex->next_held;
    mutex->next_held = NULL;
    recompute(self);
}

struct thread *priority_pick_waiter(const struct wait_queue *queue)
{
    struct thread *best = queue->head;
    if (!active())
        return best;
    for (struct thread *thread = queue->head; thread; thread = thread->next)
        if (thread->priority > best->priority)
            best = thread;
    return best;
}
