/* Lab 4 tests, part 4: the multi-level feedback queue. */
#include <keel/testing.h>
#include <ktest.h>

#include "support.h"

/* The first two tests wait for timer ticks the scheduler saw (see
 * ticks_now and one_tick_per_turn), not for a stretch of wall-clock time:
 * a busy host (QEMU without a core to itself, the Linux platform's process
 * descheduled) runs the kernel only now and then, and every tick due
 * meanwhile merges into one, so a fixed 30 ms could bring a handful of
 * ticks or none. TICK_WAIT_NS bounds each wait: far longer than the ticks
 * take at 1000 Hz (a third of a second at most), so only a timer that
 * stopped reaches it. */
#define TICK_WAIT_NS 3000000000ull

/* Ticks after which the demotion test reads its threads' levels: fewer
 * than a boost period, so a correct scheduler has boosted nobody yet (what
 * 30 ms brought on an idle host when the test waited that long). */
#define DEMOTE_TICKS 30

/* Ticks the starvation test waits at most for the demoted thread to run
 * again: six boost periods (what 300 ms brings on an idle host). */
#define STARVE_TICKS (6 * MLFQ_BOOST_TICKS)

static volatile bool stop;
static volatile uint64_t hog_progress;

/* A thread of the demotion test that gives the CPU up within microseconds
 * of getting it (main and the chatty thread), its turns (how often its
 * thread_yield returned) and the turn in which it last got a tick. */
struct yielder {
    struct thread *volatile thread;
    volatile uint64_t turns, ticked_turn;
};
static struct yielder main_yielder, chatty_yielder;

/* Timer interrupts the framework has dispatched since boot
 * (keel/testing.h): each one is a tick the scheduler's tick() saw. */
static uint64_t ticks_now(void)
{
    return trap_dispatch_count(TIMER_VECTOR);
}

/* The framework's preemption handler, while one_tick_per_turn stands in
 * front of it, and the ticks one_tick_per_turn let through. */
static trap_handler_t preempt_handler;
static volatile uint64_t ticks_passed;

/* The levels of the demotion test's threads once DEMOTE_TICKS ticks have
 * reached the scheduler, taken by one_tick_per_turn at the next tick: a
 * busy host may deliver ticks in bursts, and by the time main sees the
 * count, a boost may have lifted the hog back to level 0. */
static struct {
    struct thread *volatile hog, *volatile chatty; /* set by the test */
    volatile bool taken;
    volatile int hog_level, chatty_level;
} levels;

/* A host that stops running the kernel for a while (a busy Linux host, QEMU
 * without a core to itself) delivers the ticks due meanwhile late, at once
 * when the kernel runs again: to the thread that happened to be running,
 * although in the kernel's own time it ran no longer than usual. A yielder
 * runs for far less than a tick in each turn; a second tick in one of its
 * turns comes only from such a pause, and would make it seem to have used
 * its whole quantum (the chatty thread would sink; main would sink and
 * starve until a boost, and see the 30 ticks too late). So that tick is
 * acknowledged here and hidden from the scheduler. Every other tick,
 * including the first of each turn, reaches the scheduler. */
static bool one_tick_per_turn(struct trap_frame *frame)
{
    if (ticks_passed >= DEMOTE_TICKS && !levels.taken && levels.hog && levels.chatty) {
        levels.hog_level = levels.hog->priority;
        levels.chatty_level = levels.chatty->priority;
        levels.taken = true;
    }
    struct thread *current = thread_current();
    struct yielder *yielder = current == main_yielder.thread     ? &main_yielder
                              : current == chatty_yielder.thread ? &chatty_yielder
                                                                 : NULL;
    if (yielder) {
        if (yielder->turns == yielder->ticked_turn) {
            interrupt_eoi();
            return true;
        }
        yielder->ticked_turn = yielder->turns;
    }
    ticks_passed++;
    return preempt_handler(frame);
}

static void hog(void *unused)
{
    (void)unused;
    while (!stop) {
        hog_progress++;
        __asm__ volatile("" ::: "memory"); /* re-read `stop` (see test_threads.c) */
    }
}

static void chatty(void *unused)
{
    (void)unused;
    chatty_yielder.thread = thread_current();
    while (!stop) {
        thread_yield(); /* gives the CPU up long before its quantum ends */
        chatty_yielder.turns++;
    }
}

KTEST(mlfq_demotes_cpu_hogs)
{
    start_scheduler_unperturbed(&mlfq_scheduler);
    stop = false;
    irq_push_off();
    ticks_passed = 0;
    levels.hog = levels.chatty = NULL;
    levels.taken = false;
    main_yielder = (struct yielder){thread_current(), 0, UINT64_MAX};
    chatty_yielder = (struct yielder){NULL, 0, UINT64_MAX};
    preempt_handler = trap_set_handler(TIMER_VECTOR, one_tick_per_turn);
    irq_pop_off();
    uint64_t start = time_ns();
    struct thread *h = spawn("hog", hog, NULL), *c = spawn("chatty", chatty, NULL);
    levels.hog = h;
    levels.chatty = c;
    while (!levels.taken && time_ns() - start < TICK_WAIT_NS) {
        thread_yield();
        main_yielder.turns++;
    }
    uint64_t ticks = ticks_passed, waited_ms = (time_ns() - start) / 1000000;
    stop = true;
    join(h);
    join(c);
    trap_set_handler(TIMER_VECTOR, preempt_handler);
    KT_ASSERT(levels.taken,
              "only %lu timer ticks arrived in %lu ms at 1000 Hz (the test waits for %d): the "
              "timer stopped, or the host ran the kernel far too rarely to tell",
              ticks, waited_ms, DEMOTE_TICKS);
    KT_ASSERT(levels.hog_level > 0,
              "a thread that always used its whole quantum was still at level %d after %d timer "
              "ticks",
              levels.hog_level, DEMOTE_TICKS);
    KT_ASSERT(levels.chatty_level == 0,
              "a thread that always yielded early sank to level %d in %d timer ticks",
              levels.chatty_level, DEMOTE_TICKS);
}

KTEST(mlfq_boost_prevents_starvation)
{
    start_scheduler_unperturbed(&mlfq_scheduler);
    stop = false;
    hog_progress = 0;
    uint64_t start = time_ns();
    struct thread *h = spawn("hog", hog, NULL);
    /* Until the hog has used its first quantum (the framework counts the
     * ticks each thread ran): a correct scheduler then moves it down. */
    while (h->framework.ticks_run < MLFQ_BASE_QUANTUM && time_ns() - start < TICK_WAIT_NS)
        thread_yield();
    /* Now two threads that are always ready at the top level. Until the
     * hog runs again, or for six boost periods. */
    struct thread *c1 = spawn("chatty1", chatty, NULL), *c2 = spawn("chatty2", chatty, NULL);
    uint64_t before = hog_progress, first = ticks_now();
    start = time_ns();
    while (hog_progress == before && ticks_now() - first < STARVE_TICKS &&
           time_ns() - start < TICK_WAIT_NS)
        thread_yield();
    uint64_t during = hog_progress - before, ticks = ticks_now() - first,
             waited_ms = (time_ns() - start) / 1000000;
    stop = true;
    join(c1);
    join(c2);
    join(h);
    KT_ASSERT(during > 0 || ticks >= STARVE_TICKS,
              "only %lu timer ticks arrived in %lu ms at 1000 Hz (the test waits for %d, or until "
              "the demoted thread runs): the timer stopped, or the host ran the kernel far too "
              "rarely to tell",
              ticks, waited_ms, STARVE_TICKS);
    KT_ASSERT(during > 0,
              "a demoted CPU-bound thread never ran in %lu timer ticks while other threads kept "
              "the top level busy: boost every MLFQ_BOOST_TICKS ticks",
              ticks);
}

/* ---- Host-checked: a seeded schedule, step by step ----------------------------
 * Seeded threads (never started: the test plays the framework's part and calls
 * the scheduler's enqueue, pick_next and tick itself, with interrupts masked
 * as the framework does) each behave according to a seeded kind: a hog uses
 * every quantum to the end, an interactive thread gives the CPU up before its
 * first tick or sleeps, a mixed one does any of these. Each step picks a
 * thread and reports what happened. Fewer than MLFQ_BOOST_TICKS ticks are
 * delivered in all, so no boost happens and the rules of lab4.h alone decide
 * every pick: the grader (grading/test_lab4_sched.py) replays them for the
 * run's seed. Only whole quanta and yields before the first tick are used:
 * whether a partly used quantum carries over is not part of the rules.
 * Before the seeded threads, whatever the seed, a probe thread alone uses
 * its whole quantum at every level in turn, down to the lowest (where it
 * must stay): so every run checks every level's quantum, even one whose
 * seeded threads happen never to use a whole one. That leaves the seeded
 * threads the ticks up to the budget. */

#define SIMULATED_MAX   5
#define SIMULATED_STEPS 24
#define TICK_BUDGET     (MLFQ_BOOST_TICKS - 1)
#define LONGEST_QUANTUM (MLFQ_BASE_QUANTUM << (MLFQ_LEVELS - 1))

enum behaviour { HOG, INTERACTIVE, MIXED };
static const char *const behaviour_names[] = {"hog", "interactive", "mixed"};

static void never_runs(void *unused)
{
    (void)unused;
}

/* The probe: alone in the scheduler, picked and given ticks until tick()
 * asks to preempt it, MLFQ_LEVELS times, then taken out. Answers one line
 * per quantum; returns the ticks delivered. A wrong quantum is reported in
 * the answers, not asserted, so the run gets as far as the seeded part. */
static int probe_every_quantum(const struct scheduler_ops *ops)
{
    struct thread *probe = thread_new("quantum probe", never_runs, NULL);
    KT_ASSERT(probe, "thread_new failed: out of memory");
    int delivered = 0;
    irq_push_off();
    probe->state = THREAD_READY;
    ops->enqueue(probe);
    irq_pop_off();
    for (int run = 0; run < MLFQ_LEVELS; run++) {
        irq_push_off();
        struct thread *picked = ops->pick_next();
        irq_pop_off();
        KT_ASSERT(picked == probe,
                  "quantum probe, run %d: pick_next returned %s although only the probe thread "
                  "was ready",
                  run + 1, picked ? picked->name : "NULL");
        picked->state = THREAD_RUNNING;
        int level = picked->priority, ticks = 0;
        bool preempt = false;
        irq_push_off();
        while (!preempt && ticks < 2 * LONGEST_QUANTUM) {
            ticks++;
            picked->framework.ticks_run++;
            preempt = ops->tick(picked);
        }
        if (preempt && run < MLFQ_LEVELS - 1) {
            picked->state = THREAD_READY;
            ops->enqueue(picked);
        }
        irq_pop_off();
        delivered += ticks;
        if (preempt)
            ktest_answer("probe at level %d: ran %d ticks and was preempted", level, ticks);
        else
            ktest_answer("probe at level %d: ran %d ticks and tick() never asked to preempt it",
                         level, ticks);
        if (!preempt)
            break;
    }
    ktest_answer("probe level at the end: %d", probe->priority);
    irq_push_off();
    struct thread *left = ops->pick_next();
    irq_pop_off();
    KT_ASSERT(left == NULL,
              "quantum probe: pick_next returned '%s' after the probe thread had left the ready "
              "queues",
              left->name);
    probe->state = THREAD_DEAD;
    thread_free(probe);
    return delivered;
}

KTEST(mlfq_follows_a_seeded_schedule)
{
    const struct scheduler_ops *ops = &mlfq_scheduler;
    uint64_t state = ktest_seed();
    int ticks_delivered = probe_every_quantum(ops);
    int count = 3 + (int)ktest_random_below(&state, SIMULATED_MAX - 2);
    struct thread *threads[SIMULATED_MAX];
    enum behaviour kinds[SIMULATED_MAX];
    int wake_at[SIMULATED_MAX]; /* the step that wakes a sleeping thread; -1: not asleep */
    bool queued[SIMULATED_MAX];
    char line[160];
    size_t used = 0;
    for (int i = 0; i < count; i++) {
        kinds[i] = (enum behaviour)ktest_random_below(&state, 3);
        char name[] = {'s', 'i', 'm', 'u', 'l', 'a', 't', 'e', 'd', ' ', (char)('a' + i), '\0'};
        threads[i] = thread_new(name, never_runs, NULL);
        KT_ASSERT(threads[i], "thread_new failed: out of memory");
        wake_at[i] = -1;
        used += (size_t)ksnprintf(line + used, sizeof(line) - used, "%s%c %s",
                                  i ? ", " : "threads: ", 'a' + i, behaviour_names[kinds[i]]);
    }
    ktest_answer("%s", line);

    /* New threads, made ready in order (thread_make_ready does the same). */
    irq_push_off();
    for (int i = 0; i < count; i++) {
        threads[i]->state = THREAD_READY;
        ops->enqueue(threads[i]);
        queued[i] = true;
    }
    irq_pop_off();

    for (int step = 0; step < SIMULATED_STEPS; step++) {
        /* Drawn whatever happens, so one step's surprise does not shift the
         * next steps' numbers. */
        uint64_t roll = ktest_random_below(&state, 4);
        int pause = 1 + (int)ktest_random_below(&state, 3);
        irq_push_off();
        for (int i = 0; i < count; i++)
            if (wake_at[i] == step) { /* a wakeup: thread_make_ready */
                wake_at[i] = -1;
                threads[i]->state = THREAD_READY;
                ops->enqueue(threads[i]);
                queued[i] = true;
            }
        struct thread *picked = ops->pick_next();
        irq_pop_off();
        int ready = 0, who = -1;
        for (int i = 0; i < count; i++) {
            ready += queued[i];
            if (threads[i] == picked)
                who = i;
        }
        if (!picked) {
            KT_ASSERT(ready == 0, "step %d: pick_next returned NULL although %d threads were ready",
                      step + 1, ready);
            ktest_answer("step %d: nothing ready", step + 1);
            continue;
        }
        KT_ASSERT(who >= 0 && queued[who],
                  "step %d: pick_next returned thread '%s', which was not ready (it was never "
                  "enqueued, or was picked already)",
                  step + 1, picked->name);
        queued[who] = false;
        picked->state = THREAD_RUNNING;
        int level = picked->priority;
        KT_ASSERT(level >= 0 && level < MLFQ_LEVELS,
                  "step %d: thread %c has priority %d: thread->priority must hold its level, 0 "
                  "to MLFQ_LEVELS - 1",
                  step + 1, 'a' + who, level);

        bool run = kinds[who] == HOG || (kinds[who] == MIXED && roll < 2);
        bool sleep = (kinds[who] == INTERACTIVE && roll < 2) || (kinds[who] == MIXED && roll == 2);
        if (run && ticks_delivered + (MLFQ_BASE_QUANTUM << level) > TICK_BUDGET)
            run = false; /* that quantum would reach the boost: give the CPU up instead */
        if (run) {
            /* Timer ticks until the scheduler asks to preempt, then what the
             * framework does on preemption: back into the ready queues. */
            int ticks = 0;
            bool preempt = false;
            irq_push_off();
            while (!preempt && ticks < LONGEST_QUANTUM) {
                ticks++;
                picked->framework.ticks_run++; /* the framework counts it before calling tick */
                preempt = ops->tick(picked);
            }
            ticks_delivered += ticks;
            if (preempt) {
                picked->state = THREAD_READY;
                ops->enqueue(picked);
                queued[who] = true;
            }
            irq_pop_off();
            KT_ASSERT(preempt,
                      "step %d: thread %c at level %d ran %d ticks and tick() never asked to "
                      "preempt it: the quantum at level k is MLFQ_BASE_QUANTUM << k ticks",
                      step + 1, 'a' + who, level, ticks);
            ktest_answer("step %d: %c (level %d) ran %d ticks and was preempted", step + 1,
                         'a' + who, level, ticks);
        } else if (sleep) {
            picked->state = THREAD_BLOCKED;
            wake_at[who] = step + 1 + pause; /* it misses `pause` picks */
            ktest_answer("step %d: %c (level %d) went to sleep for %d step%s", step + 1, 'a' + who,
                         level, pause, pause > 1 ? "s" : "");
        } else { /* thread_yield before its first tick */
            irq_push_off();
            picked->state = THREAD_READY;
            ops->enqueue(picked);
            queued[who] = true;
            irq_pop_off();
            ktest_answer("step %d: %c (level %d) yielded", step + 1, 'a' + who, level);
        }
    }

    /* Take the threads back from the scheduler before freeing them. */
    irq_push_off();
    int taken = 0;
    while (taken <= count && ops->pick_next())
        taken++;
    irq_pop_off();
    int waiting = 0;
    used = 0;
    for (int i = 0; i < count; i++) {
        waiting += queued[i];
        used += (size_t)ksnprintf(line + used, sizeof(line) - used, "%s%c=%d",
                                  i ? " " : "levels at the end: ", 'a' + i, threads[i]->priority);
    }
    /* On failure the threads stay allocated: the scheduler may still hold them. */
    KT_ASSERT(taken == waiting,
              "at the end %d threads were in the ready queues, but pick_next handed out %d "
              "before returning NULL",
              waiting, taken);
    ktest_answer("%s", line);
    for (int i = 0; i < count; i++) {
        threads[i]->state = THREAD_DEAD;
        thread_free(threads[i]);
    }
}
