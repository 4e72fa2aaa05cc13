/* Lab 4 tests, part 3: wait queues, mutex and semaphore, under preemption. */
#include <ktest.h>

#include "support.h"

#define ITEMS 500
static struct spinlock box_lock = SPINLOCK_INIT("box");
static struct wait_queue box_waiters;
static volatile long box;
static volatile long received;

static void consumer(void *unused)
{
    (void)unused;
    for (long i = 0; i < ITEMS; i++) {
        spin_lock(&box_lock);
        while (box == 0)
            wait_sleep(&box_waiters, &box_lock);
        box--;
        received++;
        wait_wake_all(&box_waiters);
        spin_unlock(&box_lock);
    }
}

static void producer(void *unused)
{
    (void)unused;
    for (long i = 0; i < ITEMS; i++) {
        spin_lock(&box_lock);
        while (box == 1)
            wait_sleep(&box_waiters, &box_lock);
        box++;
        wait_wake_all(&box_waiters);
        spin_unlock(&box_lock);
    }
}

KTEST(wait_queue_no_lost_wakeups)
{
    start_scheduler(&rr_scheduler);
    wait_queue_init(&box_waiters);
    box = received = 0;
    struct thread *c = spawn("consumer", consumer, NULL), *p = spawn("producer", producer, NULL);
    join(p);
    join(c);
    KT_ASSERT_EQ(received, ITEMS, "items handed from producer to consumer");
}

#define WORKERS 4
#define ROUNDS  300
static struct mutex counter_mutex;
static volatile long counter;
static volatile int inside;
static volatile bool overlap;

static void add_slowly(void *unused)
{
    (void)unused;
    for (int i = 0; i < ROUNDS; i++) {
        mutex_lock(&counter_mutex);
        if (inside++)
            overlap = true;
        long value = counter;
        if (i % 7 == 0)
            thread_yield(); /* invite a race */
        counter = value + 1;
        inside--;
        mutex_unlock(&counter_mutex);
    }
}

KTEST(mutex_counts_exactly)
{
    start_scheduler(&rr_scheduler);
    mutex_init(&counter_mutex);
    counter = 0;
    inside = 0;
    overlap = false;
    struct thread *threads[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        threads[i] = spawn("adder", add_slowly, NULL);
    for (int i = 0; i < WORKERS; i++)
        join(threads[i]);
    KT_ASSERT(!overlap, "two threads were inside the mutex at once");
    KT_ASSERT_EQ(counter, WORKERS * ROUNDS, "increments made under the mutex");
}

static struct semaphore slots;
static struct spinlock occupancy_lock = SPINLOCK_INIT("occupancy");
static volatile int occupancy, most;

static void use_slot(void *unused)
{
    (void)unused;
    for (int i = 0; i < 20; i++) {
        semaphore_down(&slots);
        spin_lock(&occupancy_lock);
        if (++occupancy > most)
            most = occupancy;
        spin_unlock(&occupancy_lock);
        thread_yield();
        spin_lock(&occupancy_lock);
        occupancy--;
        spin_unlock(&occupancy_lock);
        semaphore_up(&slots);
    }
}

KTEST(semaphore_limits_concurrency)
{
    start_scheduler(&rr_scheduler);
    semaphore_init(&slots, 2);
    occupancy = most = 0;
    struct thread *threads[5];
    for (int i = 0; i < 5; i++)
        threads[i] = spawn("slot user", use_slot, NULL);
    for (int i = 0; i < 5; i++)
        join(threads[i]);
    KT_ASSERT(most == 2, "at most %d threads held a unit of a semaphore of 2 (expected exactly 2)",
              most);
}

/* ---- Host-checked: seeded items through a bounded buffer ---------------------
 * Seeded producers send seeded values through a ring buffer of seeded size,
 * guarded the classic way: a semaphore counts free slots, another filled ones,
 * and a mutex protects the ring itself. Seeded consumers take seeded shares.
 * The timer preempts anywhere, so who takes which item varies from run to run,
 * but what arrives from each producer does not: the grader
 * (grading/test_lab4_sched.py) computes how many items and what sum each
 * producer's values must add up to, for the run's seed. */

#define RING_MAX      4
#define PRODUCERS_MAX 3
#define CONSUMERS_MAX 3
#define SENDS_MAX     80

struct item {
    int producer; /* -1: a slot already taken, or never filled */
    uint32_t value;
};

static struct item ring[RING_MAX];
static int ring_size, ring_head, ring_tail;
static volatile int ring_used, ring_most, ring_least;
static struct semaphore free_slots, filled_slots;
static struct mutex ring_mutex;

static int sends[PRODUCERS_MAX];
static uint32_t values[PRODUCERS_MAX][SENDS_MAX];
static int shares[CONSUMERS_MAX];

static struct spinlock tally_lock = SPINLOCK_INIT("tally");
static long arrived[PRODUCERS_MAX], bogus_items;
static uint64_t arrived_sum[PRODUCERS_MAX];

static void send_items(void *argument)
{
    int producer = (int)(uintptr_t)argument;
    for (int i = 0; i < sends[producer]; i++) {
        semaphore_down(&free_slots);
        mutex_lock(&ring_mutex);
        int slot = ring_tail;
        if (i % 3 == 0)
            thread_yield(); /* invite another producer into the same slot */
        ring[slot] = (struct item){producer, values[producer][i]};
        ring_tail = (slot + 1) % ring_size;
        if (++ring_used > ring_most)
            ring_most = ring_used;
        mutex_unlock(&ring_mutex);
        semaphore_up(&filled_slots);
    }
}

static void take_items(void *argument)
{
    int consumer = (int)(uintptr_t)argument;
    for (int i = 0; i < shares[consumer]; i++) {
        semaphore_down(&filled_slots);
        mutex_lock(&ring_mutex);
        int slot = ring_head;
        if (i % 4 == 1)
            thread_yield(); /* invite another consumer to the same slot */
        struct item item = ring[slot];
        ring[slot].producer = -1;
        ring_head = (slot + 1) % ring_size;
        if (--ring_used < ring_least)
            ring_least = ring_used;
        mutex_unlock(&ring_mutex);
        semaphore_up(&free_slots);
        spin_lock(&tally_lock);
        if (item.producer < 0 || item.producer >= PRODUCERS_MAX) {
            bogus_items++;
        } else {
            arrived[item.producer]++;
            arrived_sum[item.producer] += item.value;
        }
        spin_unlock(&tally_lock);
    }
}

KTEST(semaphores_pass_seeded_items_through_a_ring)
{
    start_scheduler(&rr_scheduler);
    uint64_t state = ktest_seed();
    /* At least two slots, two producers and two consumers: with fewer, the
     * semaphores alone would keep the ring consistent, and a broken mutex
     * would go unnoticed. */
    ring_size = 2 + (int)ktest_random_below(&state, RING_MAX - 1);
    int producers = 2 + (int)ktest_random_below(&state, PRODUCERS_MAX - 1);
    int consumers = 2 + (int)ktest_random_below(&state, CONSUMERS_MAX - 1);
    int total = 0;
    for (int p = 0; p < producers; p++) {
        sends[p] = 20 + (int)ktest_random_below(&state, SENDS_MAX - 19);
        for (int i = 0; i < sends[p]; i++)
            values[p][i] = (uint32_t)ktest_random_below(&state, 1000000);
        total += sends[p];
    }
    /* Seeded shares of the total: weights 1 to 4, the last takes the rest. */
    int weights[CONSUMERS_MAX], weight_sum = 0, handed = 0;
    for (int c = 0; c < consumers; c++)
        weight_sum += weights[c] = 1 + (int)ktest_random_below(&state, 4);
    for (int c = 0; c < consumers; c++) {
        shares[c] = c < consumers - 1 ? total * weights[c] / weight_sum : total - handed;
        handed += shares[c];
    }
    ktest_answer("ring of %d slots; %d producers; %d consumers taking %d items in all", ring_size,
                 producers, consumers, total);

    for (int i = 0; i < RING_MAX; i++)
        ring[i].producer = -1;
    ring_head = ring_tail = ring_used = ring_most = ring_least = 0;
    bogus_items = 0;
    memset(arrived, 0, sizeof(arrived));
    memset(arrived_sum, 0, sizeof(arrived_sum));
    semaphore_init(&free_slots, ring_size);
    semaphore_init(&filled_slots, 0);
    mutex_init(&ring_mutex);
    struct thread *threads[PRODUCERS_MAX + CONSUMERS_MAX];
    int count = 0;
    /* Consumers first: they find the ring empty and must sleep. */
    for (int c = 0; c < consumers; c++)
        threads[count++] = spawn("consumer", take_items, (void *)(uintptr_t)c);
    for (int p = 0; p < producers; p++)
        threads[count++] = spawn("producer", send_items, (void *)(uintptr_t)p);
    for (int i = 0; i < count; i++)
        join(threads[i]);

    KT_ASSERT(ring_most <= ring_size,
              "%d items were in a ring of %d slots at once: semaphore_down let a producer in "
              "although no slot was free",
              ring_most, ring_size);
    KT_ASSERT(ring_least >= 0,
              "a consumer took an item from an empty ring: semaphore_down let it in although "
              "the count of filled slots was 0");
    KT_ASSERT(bogus_items == 0,
              "%ld items taken from the ring were empty slots (or taken twice): the mutex did "
              "not keep the ring consistent",
              bogus_items);
    for (int p = 0; p < producers; p++)
        ktest_answer("from producer %d: %ld items, values summing to %lu", p, arrived[p],
                     arrived_sum[p]);
}
