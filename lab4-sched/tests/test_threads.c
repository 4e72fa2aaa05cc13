/* Lab 4 tests, parts 1 and 2: threads and round robin. */
#include <ktest.h>

#include "support.h"

static volatile long results[4];

static void square(void *n)
{
    long value = (long)(uintptr_t)n;
    results[value] = value * value;
}

KTEST(threads_run_and_join)
{
    start_scheduler(&rr_scheduler);
    struct thread *threads[4];
    for (long i = 0; i < 4; i++) {
        results[i] = -1;
        threads[i] = spawn("square", square, (void *)(uintptr_t)i);
    }
    for (int i = 0; i < 4; i++)
        join(threads[i]);
    for (long i = 0; i < 4; i++)
        KT_ASSERT(results[i] == i * i, "thread %ld computed %ld", i, results[i]);
    KT_ASSERT_EQ(thread_join(thread_current()), -EINVAL, "a thread joining itself");
    KT_ASSERT_EQ(thread_join(NULL), -EINVAL, "thread_join(NULL)");
}

static volatile bool finished_late;

static void finish_late(void *unused)
{
    (void)unused;
    for (int i = 0; i < 20; i++)
        thread_yield();
    finished_late = true;
}

KTEST(join_waits_for_exit)
{
    start_scheduler(&rr_scheduler);
    finished_late = false;
    struct thread *late = spawn("late", finish_late, NULL);
    join(late);
    KT_ASSERT(finished_late, "thread_join returned before the thread finished");
}

static char order[64];
static volatile size_t order_length;

static void take_turns(void *letter)
{
    for (int i = 0; i < 3; i++) {
        order[order_length++] = *(const char *)letter;
        thread_yield();
    }
}

KTEST(rr_runs_in_order)
{
    start_scheduler(&rr_scheduler);
    order_length = 0;
    struct thread *a = spawn("a", take_turns, "a"), *b = spawn("b", take_turns, "b"),
                  *c = spawn("c", take_turns, "c");
    join(a);
    join(b);
    join(c);
    order[order_length] = '\0';
    KT_ASSERT(strcmp(order, "abcabcabc") == 0,
              "three threads that yield after each step ran as \"%s\" (expected \"abcabcabc\": "
              "first in, first out)",
              order);
}

static volatile bool released;

static void spin_until_released(void *unused)
{
    (void)unused;
    while (!released)
        cpu_relax(); /* never yields */
}

static void release(void *unused)
{
    (void)unused;
    released = true;
}

KTEST(rr_preempts_a_thread_that_never_yields)
{
    start_scheduler(&rr_scheduler);
    released = false;
    struct thread *spinner = spawn("spinner", spin_until_released, NULL);
    struct thread *releaser = spawn("releaser", release, NULL);
    join(releaser);
    join(spinner);
}

static volatile bool stop_counting;
static volatile uint64_t counts[2];

static void count_up(void *slot)
{
    /* The barrier makes every round re-read the flag: GCC 12 with
     * -fsanitize=undefined (CHECKED=1) hoists the volatile load otherwise. */
    while (!stop_counting) {
        counts[(uintptr_t)slot]++;
        __asm__ volatile("" ::: "memory");
    }
}

KTEST(rr_shares_the_cpu_fairly)
{
    start_scheduler(&rr_scheduler);
    stop_counting = false;
    counts[0] = counts[1] = 0;
    struct thread *a = spawn("count0", count_up, (void *)0),
                  *b = spawn("count1", count_up, (void *)1);
    uint64_t end = now_ms() + 200;
    while (now_ms() < end)
        thread_yield();
    stop_counting = true;
    join(a);
    join(b);
    KT_ASSERT(counts[0] > 0 && counts[1] > 0, "a thread never ran (counts %lu and %lu)", counts[0],
              counts[1]);
    KT_ASSERT(counts[0] < counts[1] * 3 && counts[1] < counts[0] * 3,
              "two equal threads got unequal shares: counts %lu and %lu", counts[0], counts[1]);
}

/* ---- Host-checked: a seeded schedule of yields ------------------------------
 * Seeded threads each take a seeded number of turns; a turn appends the
 * thread's letter to a trace and yields, and one turn of some threads also
 * creates a helper thread (capital letter). Without the timer nothing but
 * these yields switches threads, so first in, first out alone decides the
 * trace, and the grader (grading/test_lab4_sched.py) predicts it for the run's
 * seed. */

#define PLANNED_MAX 6

struct turn_plan {
    char letter;
    int turns;        /* each appends `letter` to the trace, then yields */
    int helper_at;    /* in this turn, also create a helper (>= turns: never) */
    int helper_turns; /* how many turns the helper takes */
    struct thread *helper;
    bool create_failed;
};

/* [0, PLANNED_MAX): the threads main creates; PLANNED_MAX + i: thread i's helper. */
static struct turn_plan plans[2 * PLANNED_MAX];
static char trace[128];
static volatile size_t trace_length;

static void follow_plan(void *argument)
{
    struct turn_plan *plan = argument;
    for (int turn = 0; turn < plan->turns; turn++) {
        if (trace_length < sizeof(trace) - 1)
            trace[trace_length++] = plan->letter;
        if (turn == plan->helper_at) {
            struct turn_plan *helper = &plans[PLANNED_MAX + (plan - plans)];
            char name[] = {'h', 'e', 'l', 'p', 'e', 'r', ' ', helper->letter, '\0'};
            plan->helper = thread_create(name, follow_plan, helper);
            /* Only main may end the test: it checks this after joining. */
            plan->create_failed = plan->helper == NULL;
        }
        thread_yield();
    }
}

KTEST(rr_seeded_turns_follow_first_in_first_out)
{
    start_scheduler_without_preemption(&rr_scheduler);
    uint64_t state = ktest_seed();
    int threads = 3 + (int)ktest_random_below(&state, PLANNED_MAX - 2);
    memset(plans, 0, sizeof(plans));
    trace_length = 0;
    for (int i = 0; i < threads; i++) {
        struct turn_plan *plan = &plans[i], *helper = &plans[PLANNED_MAX + i];
        plan->letter = (char)('a' + i);
        plan->turns = 1 + (int)ktest_random_below(&state, 6);
        plan->helper_at = (int)ktest_random_below(&state, (uint64_t)plan->turns + 2);
        plan->helper_turns = 1 + (int)ktest_random_below(&state, 4);
        helper->letter = (char)('A' + i);
        helper->turns = plan->helper_turns;
        helper->helper_at = helper->turns; /* helpers create no helpers */
        const char *plural = plan->turns > 1 ? "s" : "";
        if (plan->helper_at < plan->turns)
            ktest_answer("thread %c: %d turn%s; in turn %d it creates %c, which takes %d turn%s",
                         plan->letter, plan->turns, plural, plan->helper_at + 1, helper->letter,
                         helper->turns, helper->turns > 1 ? "s" : "");
        else
            ktest_answer("thread %c: %d turn%s", plan->letter, plan->turns, plural);
    }
    struct thread *created[PLANNED_MAX];
    for (int i = 0; i < threads; i++) {
        char name[] = {'t', 'h', 'r', 'e', 'a', 'd', ' ', plans[i].letter, '\0'};
        created[i] = spawn(name, follow_plan, &plans[i]);
    }
    for (int i = 0; i < threads; i++)
        join(created[i]);
    for (int i = 0; i < threads; i++) {
        KT_ASSERT(!plans[i].create_failed, "thread %c: thread_create returned NULL",
                  plans[i].letter);
        if (plans[i].helper)
            join(plans[i].helper);
    }
    trace[trace_length] = '\0';
    /* Each thread must have taken exactly its turns, whatever the order. */
    for (int i = 0; i < 2 * PLANNED_MAX; i++) {
        const struct turn_plan *plan = &plans[i];
        bool exists = i < PLANNED_MAX ? i < threads : plans[i - PLANNED_MAX].helper != NULL;
        if (!exists)
            continue;
        int taken = 0;
        for (size_t k = 0; k < trace_length; k++)
            taken += trace[k] == plan->letter;
        KT_ASSERT(taken == plan->turns,
                  "thread %c took %d turns, but it was written to take %d (trace \"%s\"): a "
                  "thread that yields must get the CPU back later",
                  plan->letter, taken, plan->turns, trace);
    }
    ktest_answer("trace: %s", trace);
}
