/* Threads on a minimal first-in first-out scheduler: switching, preemption,
 * FPU state, and the bugs the framework catches. */
#include <keel/frame.h>
#include <keel/keel.h>
#include <keel/testing.h>
#include <keel/thread.h>
#include <ktest.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"

static struct thread *queue_head, *queue_tail;
static bool preempt_every_tick;

static void fifo_enqueue(struct thread *thread)
{
    thread->next = NULL;
    if (queue_tail)
        queue_tail->next = thread;
    else
        queue_head = thread;
    queue_tail = thread;
}

static struct thread *fifo_pick(void)
{
    struct thread *thread = queue_head;
    if (thread) {
        queue_head = thread->next;
        if (!queue_head)
            queue_tail = NULL;
    }
    return thread;
}

static bool fifo_tick(struct thread *current)
{
    (void)current;
    return preempt_every_tick;
}

static const struct scheduler_ops fifo = {"test FIFO", fifo_enqueue, fifo_pick, fifo_tick};

static void start(unsigned hz, bool preempt)
{
    preempt_every_tick = preempt;
    scheduler_install(&fifo);
    scheduler_start(hz);
}

static struct thread *spawn(const char *name, void (*entry)(void *), void *arg)
{
    struct thread *thread = thread_new(name, entry, arg);
    KT_ASSERT(thread, "thread_new failed");
    irq_push_off();
    fifo_enqueue(thread);
    irq_pop_off();
    return thread;
}

static void wait_dead(struct thread *thread)
{
    for (int spins = 0; thread->state != THREAD_DEAD; spins++) {
        KT_ASSERT(spins < 100000, "thread '%s' never finished", thread->name);
        thread_yield();
    }
    thread_free(thread);
}

static char turns[32];
static volatile size_t turn_count;

static void take_turns(void *letter)
{
    for (int i = 0; i < 3; i++) {
        turns[turn_count++] = *(const char *)letter;
        thread_yield();
    }
}

KTEST(threads_take_turns)
{
    start(0, false);
    turn_count = 0;
    struct thread *a = spawn("a", take_turns, "A"), *b = spawn("b", take_turns, "B");
    wait_dead(a);
    wait_dead(b);
    turns[turn_count] = '\0';
    KT_ASSERT(strcmp(turns, "ABABAB") == 0, "the threads ran as \"%s\"", turns);
}

static volatile bool released;
static volatile bool spinner_done;

static void spin_until_released(void *unused)
{
    (void)unused;
    while (!released)
        cpu_relax(); /* never yields: only preemption lets anyone else run */
    spinner_done = true;
}

static void release(void *unused)
{
    (void)unused;
    released = true;
}

KTEST(preemption_stops_a_spinning_thread)
{
    released = spinner_done = false;
    start(1000, true);
    struct thread *spinner = spawn("spinner", spin_until_released, NULL);
    struct thread *releaser = spawn("releaser", release, NULL);
    wait_dead(spinner);
    wait_dead(releaser);
    KT_ASSERT(spinner_done, "the spinning thread did not finish");
}

static volatile uint64_t seen_in_thread;

static void fill_xmm0(void *value)
{
    uint64_t mine = (uint64_t)(uintptr_t)value, back;
    __asm__ volatile("movq %0, %%xmm0" ::"r"(mine));
    thread_yield();
    __asm__ volatile("movq %%xmm0, %0" : "=r"(back));
    if (mine == 0x1111)
        seen_in_thread = back;
}

KTEST(fpu_state_survives_switches)
{
    start(0, false);
    struct thread *a = spawn("xmm-a", fill_xmm0, (void *)0x1111);
    struct thread *b = spawn("xmm-b", fill_xmm0, (void *)0x2222);
    wait_dead(a);
    wait_dead(b);
    KT_ASSERT_EQ(seen_in_thread, 0x1111, "xmm0 of thread a after b ran");
}

static struct spinlock test_lock = SPINLOCK_INIT("test lock");

/* ---- schedule perturbation (core/perturb.c) ---- */

static volatile bool marker_ran;

static void mark(void *unused)
{
    (void)unused;
    marker_ran = true;
}

/* With no timer, a thread that never yields keeps the CPU: only a forced
 * preemption at a spin_lock/spin_unlock lets a ready thread run. Returns
 * the round (from 1) in which it ran, 0 if it never did. */
static int round_the_marker_ran(void)
{
    marker_ran = false;
    struct thread *marker = spawn("marker", mark, NULL);
    int ran_in = 0;
    for (int round = 1; round <= 1000 && !ran_in; round++) {
        spin_lock(&test_lock);
        spin_unlock(&test_lock);
        if (marker_ran)
            ran_in = round;
    }
    wait_dead(marker);
    return ran_in;
}

KTEST(perturbation_preempts_where_a_tick_could)
{
    start(0, false);
    schedule_perturb_start(0x5eed);
    KT_ASSERT_EQ(schedule_perturb_seed(), 0x5eed, "schedule_perturb_seed()");
    int first = round_the_marker_ran();
    KT_ASSERT(first > 0 && schedule_perturb_preemptions() > 0,
              "1000 spin_lock/spin_unlock pairs under perturbation never let a ready thread run");
    schedule_perturb_start(0x5eed);
    int again = round_the_marker_ran();
    KT_ASSERT(again == first,
              "the same seed preempted in round %d the first time and %d the second", first, again);
    schedule_perturb_stop();
    KT_ASSERT_EQ(schedule_perturb_seed(), 0, "schedule_perturb_seed() once stopped");
    KT_ASSERT_EQ(round_the_marker_ran(), 0, "the round a ready thread ran in without perturbation");
}

/* Everyone asleep and nobody left to wake them: reported after a second. */
KTEST(crash_everyone_asleep_under_perturbation)
{
    start(1000, false);
    schedule_perturb_start(7);
    irq_push_off();
    thread_current()->state = THREAD_BLOCKED;
    schedule();
    irq_pop_off();
}

KTEST(crash_sleep_holding_spinlock)
{
    start(0, false);
    spin_lock(&test_lock);
    thread_yield();
}

KTEST(crash_spinlock_taken_twice)
{
    start(0, false);
    spin_lock(&test_lock);
    spin_lock(&test_lock);
}

static int recurse_forever(int depth)
{
    volatile char pad[256];
    pad[0] = (char)depth;
    return recurse_forever(depth + 1) + pad[0];
}

static void overflow(void *unused)
{
    (void)unused;
    recurse_forever(0);
}

KTEST(crash_thread_stack_overflow)
{
    start(0, false);
    struct thread *deep = spawn("deep", overflow, NULL);
    wait_dead(deep);
}

static void do_nothing(void *unused)
{
    (void)unused;
}

/* A planted leak: the thread ends but is never freed (thread_free), which
 * the leak check after the test reports with the thread's name. */
KTEST(crash_leaked_thread)
{
    start(0, false);
    struct thread *forgotten = spawn("forgotten", do_nothing, NULL);
    while (forgotten->state != THREAD_DEAD)
        thread_yield();
}

/* A planted bug: a thread freed while the scheduler still holds it, as a
 * join that does not wait for the end does. */
KTEST(crash_thread_free_while_ready)
{
    start(0, false);
    struct thread *queued = thread_new("queued", do_nothing, NULL);
    KT_ASSERT(queued, "thread_new failed");
    irq_push_off();
    thread_make_ready(queued);
    irq_pop_off();
    thread_free(queued);
}

/* make bench: two threads yielding to each other. */
#define SWITCH_ROUNDS 5000
static volatile bool bench_stop;

static void yield_back(void *unused)
{
    (void)unused;
    while (!bench_stop)
        thread_yield();
}

/* A kernel runs far more threads in its life than the stack area holds at
 * once: stack addresses must come back, and with them the page tables that
 * map them (issue 11: the PC's area ran out after ~39,000 threads). */
KTEST(thread_stacks_are_reused)
{
    enum { THREADS = 5000 };
    struct thread *first = thread_new("warm-up", take_turns, "w");
    KT_ASSERT(first, "thread_new failed");
    thread_free(first);
    uint64_t free_before = frame_free_count();
    for (int i = 0; i < THREADS; i++) {
        struct thread *thread = thread_new("short-lived", take_turns, "s");
        KT_ASSERT(thread, "thread_new failed after %d threads were created and freed", i);
        thread_free(thread);
    }
    uint64_t free_after = frame_free_count();
    KT_ASSERT(free_after == free_before,
              "%d threads created and freed left %ld fewer free frames (thread stacks or the page "
              "tables that map them are not given back)",
              THREADS, (long)(free_before - free_after));
}

KTEST(bench_thread_switch)
{
    start(0, false);
    bench_stop = false;
    struct thread *other = spawn("bench", yield_back, NULL);
    uint64_t begin = time_ns();
    for (int i = 0; i < SWITCH_ROUNDS; i++)
        thread_yield(); /* main → bench → main */
    uint64_t elapsed = time_ns() - begin;
    bench_stop = true;
    wait_dead(other);
    ktest_bench_report("thread switch round trip (yield, 2 switches)", elapsed / SWITCH_ROUNDS,
                       "ns/op");
}
