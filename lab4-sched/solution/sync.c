/* Lab 4, part 3: wait queues, mutexes and semaphores. (Reference solution.) */
#include "lab4.h"

void wait_queue_init(struct wait_queue *queue)
{
    queue->lock = (struct spinlock)SPINLOCK_INIT("wait queue");
    queue->head = queue->tail = NULL;
}

void wait_sleep(struct wait_queue *queue, struct spinlock *lock)
{
    struct thread *self = thread_current();
    irq_push_off(); /* no wakeup may run between queueing and switching */
    spin_lock(&queue->lock);
    self->next = NULL;
    self->prev = queue->tail;
    if (queue->tail)
        queue->tail->next = self;
    else
        queue->head = self;
    queue->tail = self;
    self->state = THREAD_BLOCKED;
    spin_unlock(&queue->lock);
    spin_unlock(lock);
    schedule();
    irq_pop_off();
    spin_lock(lock);
}

/* Take the next waiter to wake off the queue: the longest-waiting, or with
 * the priority scheduler the highest-priority one (challenge part). */
static struct thread *take_next(struct wait_queue *queue)
{
    struct thread *thread = priority_pick_waiter(queue);
    if (thread) {
        if (thread->prev)
            thread->prev->next = thread->next;
        else
            queue->head = thread->next;
        if (thread->next)
            thread->next->prev = thread->prev;
        else
            queue->tail = thread->prev;
        thread->next = thread->prev = NULL;
    }
    return thread;
}

void wait_wake_one(struct wait_queue *queue)
{
    spin_lock(&queue->lock);
    struct thread *thread = take_next(queue);
    if (thread)
        thread_make_ready(thread);
    spin_unlock(&queue->lock);
}

void wait_wake_all(struct wait_queue *queue)
{
    spin_lock(&queue->lock);
    for (struct thread *thread; (thread = take_next(queue)) != NULL;)
        thread_make_ready(thread);
    spin_unlock(&queue->lock);
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
    spin_lock(&mutex->lock);
    while (mutex->locked) {
        priority_mutex_waiting(mutex);
        wait_sleep(&mutex->waiters, &mutex->lock);
    }
    mutex->locked = true;
    mutex->owner = thread_current();
    priority_mutex_acquired(mutex);
    spin_unlock(&mutex->lock);
}

void mutex_unlock(struct mutex *mutex)
{
    spin_lock(&mutex->lock);
    if (!mutex->locked || mutex->owner != thread_current())
        panic("mutex_unlock by thread '%s', which does not hold the mutex", thread_current()->name);
    mutex->locked = false;
    mutex->owner = NULL;
    priority_mutex_released(mutex);
    wait_wake_one(&mutex->waiters);
    spin_unlock(&mutex->lock);
    priority_yield_if_outranked();
}

void semaphore_init(struct semaphore *semaphore, long count)
{
    semaphore->lock = (struct spinlock)SPINLOCK_INIT("semaphore");
    semaphore->count = count;
    wait_queue_init(&semaphore->waiters);
}

void semaphore_down(struct semaphore *semaphore)
{
    spin_lock(&semaphore->lock);
    while (semaphore->count == 0)
        wait_sleep(&semaphore->waiters, &semaphore->lock);
    semaphore->count--;
    spin_unlock(&semaphore->lock);
}

void semaphore_up(struct semaphore *semaphore)
{
    spin_lock(&semaphore->lock);
    semaphore->count++;
    wait_wake_one(&semaphore->waiters);
    spin_unlock(&semaphore->lock);
    priority_yield_if_outranked();
}
