/* Schedule perturbation for concurrency tests (see <keel/testing.h>).
 *
 * A race between threads shows only when a switch falls inside its window,
 * which a 1000 Hz timer rarely does: a window of a few instructions is hit
 * once in many thousand runs. Armed with a seed, the framework itself
 * preempts the running thread at random "perturbation points", the places
 * lab code crosses into the framework with interrupts enabled:
 *   - interrupts being unmasked: irq_pop_off (so every spin_unlock) and
 *     cpu_irq_restore;
 *   - interrupts about to be masked: irq_push_off (so every spin_lock);
 *   - thread_current.
 * A forced preemption there is exactly what a timer tick arriving at that
 * instruction would do (the thread goes back to the scheduler, ready), so a
 * correct kernel cannot tell it from a tick; only a window that a tick
 * could also have hit, more rarely, is opened. The timer is perturbed too:
 * each tick sets a random period for the next one (half to twice the rate
 * asked for) and preempts, one tick in eight, whatever the scheduler says.
 *
 * The choices are a function of the seed and of the sequence of points
 * reached, so without timer ticks in between a seed replays the same
 * schedule (on the Linux platform, where nothing else varies, it mostly
 * does). A lost wakeup or a deadlock leaves every thread asleep and only the
 * idle thread running: while armed, that is reported after a second, with
 * where each thread went to sleep. */
#include <keel/cpu.h>
#include <keel/interrupt.h>
#include <keel/kprintf.h>
#include <keel/panic.h>
#include <keel/symbols.h>
#include <keel/testing.h>
#include <keel/thread.h>

#include "internal.h"

#define SLEEPERS_MAX        32
#define STUCK_NS            1000000000ull /* idle alone this long, threads asleep: stuck */
#define TICK_PREEMPT_ONE_IN 8

bool perturb_active;

/* Two sequences from the seed: one for the points, one for the ticks, so
 * a tick that comes at another moment does not change the next point's
 * choice. */
static uint64_t seed, state, tick_state;
static unsigned one_in; /* a point preempts once in this many, on average */
static uint64_t preemptions;
static uint64_t idle_since; /* time_ns when idle began running alone; 0: not idle */

/* The threads that went to sleep while armed, and where (schedule's caller). */
static struct {
    struct thread *thread;
    uintptr_t site;
} sleepers[SLEEPERS_MAX];

/* SplitMix64, as ktest_random and keelgrade/seeded.py. */
static uint64_t random_from(uint64_t *sequence)
{
    uint64_t z = (*sequence += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t next_random(void)
{
    return random_from(&state);
}

void schedule_perturb_start(uint64_t new_seed)
{
    if (!new_seed) {
        schedule_perturb_stop();
        return;
    }
    bool was_enabled = cpu_irq_save();
    seed = state = new_seed;
    tick_state = ~new_seed;
    /* How dense the points are varies with the seed: a window that a dense
     * schedule keeps missing (always preempted just before it) a sparse one
     * reaches, and the other way round. */
    one_in = 2 + (unsigned)(next_random() % 7);
    preemptions = 0;
    idle_since = 0;
    for (int i = 0; i < SLEEPERS_MAX; i++)
        sleepers[i].thread = NULL;
    perturb_active = true;
    kprintf("[perturb] schedule perturbation on, seed %lu: a forced preemption at one point in "
            "%u, timer periods at random\n",
            seed, one_in);
    cpu_irq_restore(was_enabled);
}

void schedule_perturb_stop(void)
{
    if (perturb_active)
        kprintf("[perturb] schedule perturbation off: %lu forced preemptions\n", preemptions);
    perturb_active = false;
}

uint64_t schedule_perturb_seed(void)
{
    return perturb_active ? seed : 0;
}

uint64_t schedule_perturb_preemptions(void)
{
    return preemptions;
}

void perturb_point(void)
{
    if (!perturb_active || panic_in_progress || !thread_preemptible_here())
        return;
    if (next_random() % one_in)
        return;
    preemptions++;
    thread_preempt_here();
}

bool perturb_tick(unsigned hz)
{
    uint64_t roll = random_from(&tick_state);
    /* Half to twice the rate asked for, a new period for every tick. */
    unsigned jittered = hz / 2 + (unsigned)(roll % ((uint64_t)hz * 3 / 2 + 1));
    if (timer_hz()) /* not one a pending tick would restart after timer_stop */
        timer_start(jittered ? jittered : 1);
    return (roll >> 32) % TICK_PREEMPT_ONE_IN == 0;
}

void perturb_note_sleep(struct thread *thread, uintptr_t site)
{
    for (int i = 0; i < SLEEPERS_MAX; i++)
        if (!sleepers[i].thread || sleepers[i].thread == thread) {
            sleepers[i].thread = thread;
            sleepers[i].site = site;
            return;
        }
}

void perturb_note_awake(struct thread *thread)
{
    for (int i = 0; i < SLEEPERS_MAX; i++)
        if (sleepers[i].thread == thread)
            sleepers[i].thread = NULL;
}

void perturb_note_switch(bool to_idle)
{
    if (!to_idle)
        idle_since = 0;
    else if (!idle_since)
        idle_since = time_ns() | 1;
}

void perturb_check_idle(void)
{
    if (!idle_since || time_ns() - idle_since < STUCK_NS)
        return;
    int first = -1, count = 0;
    char where[160];
    for (int i = 0; i < SLEEPERS_MAX; i++) {
        if (!sleepers[i].thread || sleepers[i].thread->state != THREAD_BLOCKED)
            continue;
        if (first < 0)
            first = i;
        count++;
        kprintf("[perturb] thread '%s' is asleep since it called schedule() in %s\n",
                sleepers[i].thread->name, symbol_describe(sleepers[i].site, where, sizeof(where)));
    }
    if (first < 0) {
        idle_since = 0; /* nothing asleep that we know of: not ours to judge */
        return;
    }
    keel_report_bug(sleepers[first].site,
                    "every thread is asleep (%d of them) and nothing has woken one for a second "
                    "(schedule perturbation, seed %lu): a lost wakeup or a deadlock. Thread '%s' "
                    "sleeps here: was it queued only after it released the lock guarding its "
                    "condition? A wakeup in between finds nobody to wake",
                    count, seed, sleepers[first].thread->name);
}
