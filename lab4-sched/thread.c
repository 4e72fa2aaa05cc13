/* Lab 4, part 1: creating, exiting and joining threads. Read "Part 1" of
 * lab4-sched/README.md. */
#include "lab4.h"

struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg)
{
    (void)name, (void)entry, (void)arg;
    /* TODO(lab4): allocate what a joiner will wait on (keep it in
     * thread->owner_data), thread_new, then make the thread ready
     * (thread_make_ready, inside irq_push_off / irq_pop_off). */
    return NULL;
}

void thread_exit(void)
{
    /* TODO(lab4): with interrupts masked: note that this thread has exited,
     * wake its joiners, mark it THREAD_DEAD and schedule() away. */
    panic("thread_exit is not written yet (lab4-sched/thread.c)");
}

void thread_exit_hook(void)
{
    thread_exit();
}

int thread_join(struct thread *thread)
{
    (void)thread;
    /* TODO(lab4): -EINVAL for NULL or the calling thread; sleep until the
     * thread has exited (wait_sleep in a loop), then free it. */
    return -ENOSYS;
}
