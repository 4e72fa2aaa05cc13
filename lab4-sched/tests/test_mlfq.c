/* Lab 4 tests, part 4: the multi-level feedback queue. */
#include <ktest.h>

#include "support.h"

static volatile bool stop;
static volatile int hog_level, chatty_level;
static volatile uint64_t hog_progress;

static void hog(void *unused)
{
    (void)unused;
    while (!stop) {
        hog_progress++;
        __asm__ volatile("" ::: "memory"); /* re-read `stop` (see test_threads.c) */
    }
    hog_level = thread_current()->priority;
}

static void chatty(void *unused)
{
    (void)unused;
    while (!stop)
        thread_yield(); /* gives the CPU up long before its quantum ends */
    chatty_level = thread_current()->priority;
}

KTEST(mlfq_demotes_cpu_hogs)
{
    start_scheduler(&mlfq_scheduler);
    stop = false;
    struct thread *h = spawn("hog", hog, NULL), *c = spawn("chatty", chatty, NULL);
    uint64_t end = now_ms() + 30; /* shorter than a boost period */
    while (now_ms() < end)
        thread_yield();
    stop = true;
    join(h);
    join(c);
    KT_ASSERT(hog_level > 0, "a thread that always used its whole quantum is still at level %d",
              hog_level);
    KT_ASSERT(chatty_level == 0, "a thread that always yielded early sank to level %d",
              chatty_level);
}

KTEST(mlfq_boost_prevents_starvation)
{
    start_scheduler(&mlfq_scheduler);
    stop = false;
    hog_progress = 0;
    struct thread *h = spawn("hog", hog, NULL);
    uint64_t sink = now_ms() + 20;
    while (now_ms() < sink)
        thread_yield();
    /* Now two threads that are always ready at the top level. */
    struct thread *c1 = spawn("chatty1", chatty, NULL), *c2 = spawn("chatty2", chatty, NULL);
    uint64_t before = hog_progress;
    uint64_t end = now_ms() + 300;
    while (now_ms() < end)
        thread_yield();
    uint64_t during = hog_progress - before;
    stop = true;
    join(c1);
    join(c2);
    join(h);
    KT_ASSERT(during > 0, "a demoted CPU-bound thread never ran in 300 ms while other threads "
                          "kept the top level busy: boost every MLFQ_BOOST_TICKS ticks");
}
