/* Shared set-up for the lab 4 tests (see support.h). */
#include <keel/testing.h>
#include <ktest.h>

#include "support.h"

/* Check `ops` on a made-up thread and install it. */
static void check_and_install(const struct scheduler_ops *ops)
{
    static struct thread probe;
    memset(&probe, 0, sizeof(probe));
    probe.state = THREAD_READY;
    irq_push_off();
    ops->enqueue(&probe);
    struct thread *picked = ops->pick_next();
    struct thread *again = ops->pick_next();
    irq_pop_off();
    KT_ASSERT(picked == &probe, "%s: pick_next did not return the thread just enqueued", ops->name);
    KT_ASSERT(again == NULL, "%s: pick_next returned a thread from an empty queue", ops->name);
    scheduler_install(ops);
}

void start_scheduler(const struct scheduler_ops *ops)
{
    start_scheduler_unperturbed(ops);
    /* The graders run the concurrency tests again with keel.perturb=SEED:
     * the framework then preempts at random points (see <keel/testing.h>). */
    char seed[24];
    if (cmdline_get("keel.perturb", seed, sizeof(seed))) {
        long value = cmdline_get_long("keel.perturb", 0);
        KT_ASSERT(value > 0, "keel.perturb=%s is not a positive number", seed);
        schedule_perturb_start((uint64_t)value);
    }
}

void start_scheduler_unperturbed(const struct scheduler_ops *ops)
{
    schedule_perturb_stop();
    check_and_install(ops);
    scheduler_start(1000);
}

void start_scheduler_without_preemption(const struct scheduler_ops *ops)
{
    schedule_perturb_stop();
    check_and_install(ops);
    /* scheduler_start(0) leaves the timer alone: stop one an earlier test of
     * the same boot (keel.test=all) may have started. */
    if (timer_hz())
        timer_stop();
    scheduler_start(0);
}

struct thread *spawn(const char *name, void (*entry)(void *), void *arg)
{
    struct thread *thread = thread_create(name, entry, arg);
    KT_ASSERT(thread, "thread_create(\"%s\") returned NULL", name);
    return thread;
}

void join(struct thread *thread)
{
    int result = thread_join(thread);
    KT_ASSERT(result == 0, "thread_join returned %d", result);
}

uint64_t now_ms(void)
{
    return time_ns() / 1000000;
}
