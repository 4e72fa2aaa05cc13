/* Lab 4 tests, challenge part: the priority scheduler and priority donation
 * (in the spirit of Pintos's priority-* tests). Apart from the round-robin
 * test, every thread here has a priority of its own, so the order things
 * happen in follows from the priority rules alone, whatever the timer or the
 * graders' schedule perturbation do: a preemption can only hand the CPU to a
 * thread that ranks at least as high, and there is none. */
#include <ktest.h>

#include "support.h"

/* The priority scheduler, with "main" at `priority`. */
static void start_priority(int priority)
{
    start_scheduler(&priority_scheduler);
    irq_push_off();
    priority_thread_init(thread_current(), priority);
    irq_pop_off();
    KT_ASSERT(thread_get_priority() == priority && thread_get_base_priority() == priority,
              "after priority_thread_init(main, %d), thread_get_priority() is %d and "
              "thread_get_base_priority() %d",
              priority, thread_get_priority(), thread_get_base_priority());
}

/* What the threads did, in order: one character each. */
static char events[64];
static volatile int event_count;

static void note(char event)
{
    irq_push_off();
    if (event_count < (int)sizeof(events) - 1)
        events[event_count++] = event;
    events[event_count] = '\0';
    irq_pop_off();
}

static void reset_events(void)
{
    event_count = 0;
    events[0] = '\0';
}

static struct thread *spawn_priority(const char *name, int priority, void (*entry)(void *),
                                     void *arg)
{
    struct thread *thread = thread_create_priority(name, priority, entry, arg);
    KT_ASSERT(thread, "thread_create_priority(\"%s\", %d) returned NULL", name, priority);
    return thread;
}

static void expect_events(const char *expected, const char *why)
{
    KT_ASSERT(strcmp(events, expected) == 0, "the threads ran as \"%s\", expected \"%s\": %s",
              events, expected, why);
}

/* ---- the scheduler ------------------------------------------------------ */

static void note_letter(void *letter)
{
    note(*(const char *)letter);
}

KTEST(priority_runs_the_highest_first)
{
    start_priority(PRI_DEFAULT);
    reset_events();
    struct thread *a = spawn_priority("a", 40, note_letter, "a");
    struct thread *b = spawn_priority("b", 20, note_letter, "b");
    note('M');
    struct thread *c = spawn_priority("c", 35, note_letter, "c");
    expect_events("aMc", "a thread created with a higher priority than its creator runs before "
                         "thread_create_priority returns; a lower one waits");
    thread_set_priority(25);
    expect_events("aMc", "thread_set_priority(25) let a thread of priority 20 run");
    thread_set_priority(10);
    expect_events("aMcb", "after thread_set_priority(10) the ready thread of priority 20 must "
                          "run at once");
    KT_ASSERT(thread_get_priority() == 10 && thread_get_base_priority() == 10,
              "after thread_set_priority(10): thread_get_priority() %d, base %d",
              thread_get_priority(), thread_get_base_priority());
    join(a);
    join(b);
    join(c);
}

#define SHARE_TICKS 30
static struct thread *volatile last_runner;
static volatile int switches;
static volatile bool busy_done[2], low_ran_early;

static void busy(void *index)
{
    struct thread *self = thread_current();
    uint64_t until = self->framework.ticks_run + SHARE_TICKS;
    while (self->framework.ticks_run < until) {
        irq_push_off();
        if (last_runner != self) {
            last_runner = self;
            switches++;
        }
        irq_pop_off();
    }
    busy_done[(uintptr_t)index] = true;
}

static void low_priority(void *unused)
{
    (void)unused;
    if (!busy_done[0] || !busy_done[1])
        low_ran_early = true;
}

KTEST(priority_equal_threads_take_turns)
{
    start_scheduler_unperturbed(&priority_scheduler);
    irq_push_off();
    priority_thread_init(thread_current(), 50);
    irq_pop_off();
    last_runner = NULL;
    switches = 0;
    busy_done[0] = busy_done[1] = low_ran_early = false;
    struct thread *x = spawn_priority("x", 40, busy, (void *)0);
    struct thread *y = spawn_priority("y", 40, busy, (void *)1);
    struct thread *low = spawn_priority("low", 30, low_priority, NULL);
    join(x);
    join(y);
    join(low);
    KT_ASSERT(!low_ran_early,
              "a thread of priority 30 ran while two of priority 40 were still busy: "
              "pick_next must take the highest priority, and a tick preempts only for a "
              "thread that ranks at least as high");
    KT_ASSERT(switches >= 4,
              "two busy threads of equal priority ran %d %s in %d ticks each: equal "
              "priorities take turns, RR_QUANTUM (%d) ticks each (priority_tick)",
              switches, switches == 1 ? "turn" : "turns", SHARE_TICKS, RR_QUANTUM);
}

/* ---- donation ------------------------------------------------------------- */

static struct mutex locks[10];

static void lock_and_note(void *which)
{
    struct mutex *mutex = which;
    mutex_lock(mutex);
    note(thread_current()->name[0]);
    mutex_unlock(mutex);
}

static void expect_priority(int effective, int base, const char *when)
{
    KT_ASSERT(thread_get_priority() == effective && thread_get_base_priority() == base,
              "%s, main's priority is %d (base %d); expected %d (base %d)", when,
              thread_get_priority(), thread_get_base_priority(), effective, base);
}

KTEST(priority_donate_one)
{
    start_priority(PRI_DEFAULT);
    reset_events();
    mutex_init(&locks[0]);
    mutex_lock(&locks[0]);
    struct thread *a = spawn_priority("a", PRI_DEFAULT + 1, lock_and_note, &locks[0]);
    expect_priority(PRI_DEFAULT + 1, PRI_DEFAULT,
                    "while a thread of priority 32 waits for the mutex main holds (main 31)");
    struct thread *b = spawn_priority("b", PRI_DEFAULT + 2, lock_and_note, &locks[0]);
    expect_priority(PRI_DEFAULT + 2, PRI_DEFAULT,
                    "while threads of priority 32 and 33 wait for main's mutex");
    expect_events("", "the waiters must not have the mutex yet");
    mutex_unlock(&locks[0]);
    expect_priority(PRI_DEFAULT, PRI_DEFAULT, "after mutex_unlock (the donation must end)");
    expect_events("ba", "on mutex_unlock the highest-priority waiter (33) takes the mutex "
                        "first, and both run before main, whose donation ended");
    join(a);
    join(b);
}

KTEST(priority_donate_multiple)
{
    start_priority(PRI_DEFAULT);
    reset_events();
    mutex_init(&locks[0]);
    mutex_init(&locks[1]);
    /* Released in the order taken, then the other way round. */
    for (int round = 0; round < 2; round++) {
        mutex_lock(&locks[0]);
        mutex_lock(&locks[1]);
        struct thread *a = spawn_priority("a", PRI_DEFAULT + 1, lock_and_note, &locks[0]);
        struct thread *b = spawn_priority("b", PRI_DEFAULT + 2, lock_and_note, &locks[1]);
        expect_priority(PRI_DEFAULT + 2, PRI_DEFAULT,
                        "holding two mutexes, with waiters of priority 32 and 33 for them");
        if (round == 0) {
            mutex_unlock(&locks[1]);
            expect_priority(PRI_DEFAULT + 1, PRI_DEFAULT,
                            "after releasing the mutex the 33 waited for (the 32 still waits "
                            "for the other; a holder of several mutexes keeps the highest "
                            "donation of those it still holds)");
            mutex_unlock(&locks[0]);
        } else {
            mutex_unlock(&locks[0]);
            expect_priority(PRI_DEFAULT + 2, PRI_DEFAULT,
                            "after releasing the mutex the 32 waited for (the 33 still waits "
                            "for the other)");
            mutex_unlock(&locks[1]);
        }
        expect_priority(PRI_DEFAULT, PRI_DEFAULT, "after releasing both mutexes");
        join(a);
        join(b);
    }
    expect_events("baba", "the waiter of 33 runs as soon as its mutex is released; the one of "
                          "32 only once main's priority falls below 32");
}

KTEST(priority_donate_lower)
{
    start_priority(PRI_DEFAULT);
    reset_events();
    mutex_init(&locks[0]);
    mutex_lock(&locks[0]);
    struct thread *a = spawn_priority("a", PRI_DEFAULT + 10, lock_and_note, &locks[0]);
    expect_priority(PRI_DEFAULT + 10, PRI_DEFAULT, "while a thread of priority 41 waits");
    thread_set_priority(PRI_DEFAULT - 10);
    expect_priority(PRI_DEFAULT + 10, PRI_DEFAULT - 10,
                    "after thread_set_priority(21) while a thread of priority 41 waits (the "
                    "donation still holds; only the base priority changes)");
    mutex_unlock(&locks[0]);
    expect_events("a", "the waiter runs at once when the mutex is released");
    expect_priority(PRI_DEFAULT - 10, PRI_DEFAULT - 10, "after the release");
    join(a);
}

/* A chain: thread i holds locks[i] and waits for locks[i - 1]; main holds
 * locks[0]. Interlopers, a notch below each link, must wait until the chain
 * unwinds. */
#define CHAIN 8
static struct thread *chain[CHAIN + 1];

static int link_priority(int i)
{
    return 3 * i;
}

static void chain_link(void *index)
{
    int i = (int)(uintptr_t)index;
    mutex_lock(&locks[i]);
    mutex_lock(&locks[i - 1]);
    mutex_unlock(&locks[i - 1]);
    mutex_unlock(&locks[i]);
    note((char)('0' + i));
}

static void interloper(void *index)
{
    note((char)('a' + (int)(uintptr_t)index - 1));
}

KTEST(priority_donate_chain)
{
    start_priority(PRI_MIN);
    reset_events();
    for (int i = 0; i <= CHAIN; i++)
        mutex_init(&locks[i]);
    mutex_lock(&locks[0]);
    chain[0] = thread_current();
    struct thread *interlopers[CHAIN + 1];
    for (int i = 1; i <= CHAIN; i++) {
        static const char *const names[] = {"",       "link 1", "link 2", "link 3", "link 4",
                                            "link 5", "link 6", "link 7", "link 8"};
        chain[i] = spawn_priority(names[i], link_priority(i), chain_link, (void *)(uintptr_t)i);
        for (int j = 0; j < i; j++)
            KT_ASSERT(chain[j]->priority == link_priority(i),
                      "thread '%s' runs at priority %d, expected %d: '%s' (priority %d) waits "
                      "for its mutex %s; a donation must travel down the whole chain of "
                      "holders that wait for another mutex",
                      chain[j]->name, chain[j]->priority, link_priority(i), chain[i]->name,
                      link_priority(i), j == i - 1 ? "directly" : "through the threads between");
        interlopers[i] =
            spawn_priority("interloper", link_priority(i) - 1, interloper, (void *)(uintptr_t)i);
    }
    expect_events("", "no thread of the chain can finish before main releases locks[0]");
    mutex_unlock(&locks[0]);
    expect_priority(PRI_MIN, PRI_MIN, "after main released the chain's first mutex");
    expect_events("8h7g6f5e4d3c2b1a",
                  "the chain unwinds from its top (8) down, and each interloper runs just "
                  "after the link above it, once that link's donation has ended");
    for (int i = 1; i <= CHAIN; i++) {
        join(chain[i]);
        join(interlopers[i]);
    }
}

/* ---- wake order ----------------------------------------------------------- */

#define WAITERS 8
static int waiter_priority[WAITERS];
static struct semaphore wake_semaphore;

static void down_and_note(void *index)
{
    semaphore_down(&wake_semaphore);
    note((char)('a' + (int)(uintptr_t)index));
}

/* Seeded distinct priorities above PRI_MIN + 1, and the letters in the
 * order they must wake (highest first). */
static void seeded_priorities(char *expected)
{
    uint64_t state = ktest_seed();
    for (int i = 0; i < WAITERS; i++)
        waiter_priority[i] = 10 + i * 5;
    for (int i = WAITERS - 1; i > 0; i--) {
        int j = (int)ktest_random_below(&state, (uint64_t)i + 1);
        int swap = waiter_priority[i];
        waiter_priority[i] = waiter_priority[j];
        waiter_priority[j] = swap;
    }
    for (int rank = 0; rank < WAITERS; rank++)
        for (int i = 0; i < WAITERS; i++)
            if (waiter_priority[i] == 10 + (WAITERS - 1 - rank) * 5)
                expected[rank] = (char)('a' + i);
    expected[WAITERS] = '\0';
}

KTEST(priority_semaphore_wakes_the_highest_first)
{
    start_priority(PRI_MIN);
    reset_events();
    char expected[WAITERS + 1];
    seeded_priorities(expected);
    semaphore_init(&wake_semaphore, 0);
    struct thread *threads[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        threads[i] =
            spawn_priority("waiter", waiter_priority[i], down_and_note, (void *)(uintptr_t)i);
    for (int i = 0; i < WAITERS; i++) {
        semaphore_up(&wake_semaphore);
        KT_ASSERT(event_count == i + 1,
                  "after semaphore_up number %d, %d waiters had run: the waiter it wakes "
                  "outranks main and must run before semaphore_up returns "
                  "(priority_yield_if_outranked)",
                  i + 1, event_count);
    }
    expect_events(expected, "semaphore_up wakes the waiter of highest priority (waiters a, b, "
                            "... of seeded priorities)");
    for (int i = 0; i < WAITERS; i++)
        join(threads[i]);
}

static struct spinlock tokens_lock = SPINLOCK_INIT("tokens");
static struct wait_queue token_waiters;
static long tokens;

static void wait_and_note(void *index)
{
    spin_lock(&tokens_lock);
    while (tokens == 0)
        wait_sleep(&token_waiters, &tokens_lock);
    tokens--;
    spin_unlock(&tokens_lock);
    note((char)('a' + (int)(uintptr_t)index));
}

static void mutex_wait_and_note(void *index)
{
    mutex_lock(&locks[0]);
    note((char)('a' + (int)(uintptr_t)index));
    mutex_unlock(&locks[0]);
}

KTEST(priority_wait_queue_and_mutex_wake_the_highest_first)
{
    start_priority(PRI_MIN);
    char expected[WAITERS + 1];
    seeded_priorities(expected);
    /* A wait queue, the way a condition variable uses one. */
    reset_events();
    wait_queue_init(&token_waiters);
    tokens = 0;
    struct thread *threads[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        threads[i] =
            spawn_priority("waiter", waiter_priority[i], wait_and_note, (void *)(uintptr_t)i);
    for (int i = 0; i < WAITERS; i++) {
        spin_lock(&tokens_lock);
        tokens++;
        wait_wake_one(&token_waiters);
        spin_unlock(&tokens_lock);
        thread_yield();
    }
    expect_events(expected, "wait_wake_one wakes the waiter of highest priority "
                            "(priority_pick_waiter)");
    for (int i = 0; i < WAITERS; i++)
        join(threads[i]);
    /* A mutex: main holds it, and every waiter donates. Created from the
     * lowest priority up, so each outranks main's donated priority and runs
     * at once, and the mutex's waiters arrive lowest first: a release must
     * still hand the mutex to the highest waiter left. */
    reset_events();
    mutex_init(&locks[0]);
    mutex_lock(&locks[0]);
    for (int rank = WAITERS - 1; rank >= 0; rank--) {
        int i = expected[rank] - 'a';
        threads[i] =
            spawn_priority("waiter", waiter_priority[i], mutex_wait_and_note, (void *)(uintptr_t)i);
    }
    expect_events("", "the waiters must not have the mutex while main holds it");
    mutex_unlock(&locks[0]);
    expect_events(expected, "mutex_unlock wakes the waiter of highest priority");
    for (int i = 0; i < WAITERS; i++)
        join(threads[i]);
}
