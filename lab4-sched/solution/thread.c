/* Lab 4, part 1: creating, exiting and joining threads. (Reference solution.) */
#include "lab4.h"

/* What a joiner waits on, one per thread this file created. */
struct join_state {
    struct spinlock lock;
    struct wait_queue joiners;
    bool exited;
};

struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg)
{
    struct join_state *join = kzalloc(sizeof(*join));
    if (!join)
        return NULL;
    struct thread *thread = thread_new(name, entry, arg);
    if (!thread) {
        kfree(join);
        return NULL;
    }
    join->lock = (struct spinlock)SPINLOCK_INIT("join");
    wait_queue_init(&join->joiners);
    thread->owner_data = join;
    irq_push_off();
    thread_make_ready(thread);
    irq_pop_off();
    return thread;
}

void thread_exit(void)
{
    struct thread *self = thread_current();
    struct join_state *join = self->owner_data;
    irq_push_off(); /* stay masked from marking ourselves dead to switching away */
    if (join) {
        spin_lock(&join->lock);
        join->exited = true;
        wait_wake_all(&join->joiners);
        spin_unlock(&join->lock);
    }
    self->state = THREAD_DEAD;
    schedule();
    panic("thread '%s' ran again after thread_exit", self->name);
}

void thread_exit_hook(void)
{
    thread_exit();
}

int thread_join(struct thread *thread)
{
    if (!thread || thread == thread_current())
        return -EINVAL;
    struct join_state *join = thread->owner_data;
    /* A thread made with thread_new alone (as lab 5 makes a process's) has
     * no join state: nothing would ever record its end. Said loudly, since
     * a quiet -EINVAL is easy to miss and the caller then frees what still
     * runs. */
    if (!join)
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "thread_join(thread '%s'): that thread was not made by thread_create "
                        "(thread_new's threads have no join state) and cannot be joined. Wait for "
                        "a process through its table entry (a zombie after process_exit)",
                        thread->name);
    spin_lock(&join->lock);
    while (!join->exited)
        wait_sleep(&join->joiners, &join->lock);
    spin_unlock(&join->lock);
    kfree(join);
    thread_free(thread);
    return 0;
}
