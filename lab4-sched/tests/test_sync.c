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
