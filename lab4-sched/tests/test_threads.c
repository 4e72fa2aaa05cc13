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
