/* Lab 4, part 3: wait queues, mutexes and semaphores. Read "Part 3" of
 * lab4-sched/README.md. */
#include "lab4.h"

void wait_queue_init(struct wait_queue *queue)
{
    queue->lock = (struct spinlock)SPINLOCK_INIT("wait queue");
    queue->head = queue->tail = NULL;
}

void wait_sleep(struct wait_queue *queue, struct spinlock *lock)
{
    (void)queue, (void)lock;
    /* TODO(lab4): with interrupts masked, append the running thread to the
     * queue, mark it THREAD_BLOCKED, release `lock`, schedule(); when woken,
     * unmask and take `lock` again. */
    panic("wait_sleep is not written yet (lab4-sched/sync.c)");
}

void wait_wake_one(struct wait_queue *queue)
{
    (void)queue;
    /* TODO(lab4): take the first waiter off the queue, thread_make_ready it.
     * Challenge part: take priority_pick_waiter(queue) instead (the first
     * one unless the priority scheduler runs). */
}

void wait_wake_all(struct wait_queue *queue)
{
    (void)queue;
    /* TODO(lab4): wake every waiter. */
}

void mutex_init(struct mutex *mutex)
{
    mutex->lock = (struct spinlock)SPINLOCK_INIT("mutex");
    mutex->locked = false;
    mutex->owner = NULL;
    mutex->next_held = NULL;
    wait_queue_init(&mutex->waiters);
}

void mutex_lock(struct mutex *mutex)
{
    (void)mutex;
    /* TODO(lab4): under mutex->lock, sleep while it is locked, then take it.
     * Challenge part: call priority_mutex_waiting(mutex) before each sleep
     * and priority_mutex_acquired(mutex) once it is yours. */
}

void mutex_unlock(struct mutex *mutex)
{
    (void)mutex;
    /* TODO(lab4): release it and wake one waiter.
     * Challenge part: priority_mutex_released(mutex) between clearing the
     * owner and waking, and priority_yield_if_outranked() once
     * mutex->lock is released. */
}

void semaphore_init(struct semaphore *semaphore, long count)
{
    semaphore->lock = (struct spinlock)SPINLOCK_INIT("semaphore");
    semaphore->count = count;
    wait_queue_init(&semaphore->waiters);
}

void semaphore_down(struct semaphore *semaphore)
{
    (void)semaphore;
    /* TODO(lab4): sleep while the count is 0, then take a unit. */
    panic("semaphore_down is not written yet (lab4-sched/sync.c)");
}

void semaphore_up(struct semaphore *semaphore)
{
    (void)semaphore;
    /* TODO(lab4): return a unit, wake one waiter.
     * Challenge part: then priority_yield_if_outranked(), outside the lock. */
}
