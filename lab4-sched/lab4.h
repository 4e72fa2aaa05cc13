/* Lab 4: what you implement, and what the tests expect of it.
 *   thread.c  creating, exiting and joining threads
 *   rr.c      a round-robin scheduler with timer preemption
 *   sync.c    wait queues, a sleeping mutex, a counting semaphore
 *   mlfq.c    a multi-level feedback queue scheduler
 * Read lab4-sched/README.md first. The framework (<keel/thread.h>) switches
 * threads, preempts on timer ticks and provides spin locks; your code
 * decides who runs and when threads sleep. */
#ifndef LAB4_H
#define LAB4_H

#include <keel/errno.h>
#include <keel/keel.h>
#include <keel/thread.h>

/* ---- sync.c: wait queues -------------------------------------------------- */

/* Threads waiting for something, in arrival order (linked through
 * thread->next and thread->prev). */
struct wait_queue {
    struct spinlock lock;
    struct thread *head, *tail;
};

/* An empty queue. */
void wait_queue_init(struct wait_queue *queue);

/* Sleep on `queue`. The caller holds `lock`, the spin lock protecting the
 * condition it waits for; release it and sleep as one step (so a wakeup
 * between checking the condition and sleeping is not lost), and hold it
 * again when this returns. */
void wait_sleep(struct wait_queue *queue, struct spinlock *lock);

/* Wake the longest-waiting thread (thread_make_ready); nothing if empty. */
void wait_wake_one(struct wait_queue *queue);

/* Wake every waiting thread. */
void wait_wake_all(struct wait_queue *queue);

/* ---- sync.c: mutex and semaphore ---------------------------------------- */

/* A sleeping lock: a thread that finds it taken waits in `waiters`. The
 * caller owns the struct (set it up with mutex_init); its fields are yours. */
struct mutex {
    struct spinlock lock; /* protects the fields below */
    bool locked;
    struct thread *owner;
    struct wait_queue waiters;
};

/* An unlocked mutex. */
void mutex_init(struct mutex *mutex);

/* Take the mutex, sleeping while another thread holds it. */
void mutex_lock(struct mutex *mutex);

/* Release the mutex (the caller must hold it) and wake one waiter. */
void mutex_unlock(struct mutex *mutex);

/* A counting semaphore: `count` free units, threads waiting for one in
 * `waiters`. The caller owns the struct (semaphore_init). */
struct semaphore {
    struct spinlock lock;
    long count;
    struct wait_queue waiters;
};

/* A semaphore with `count` units. */
void semaphore_init(struct semaphore *semaphore, long count);

/* Take a unit, sleeping while there is none. */
void semaphore_down(struct semaphore *semaphore);

/* Return a unit and wake one waiter. */
void semaphore_up(struct semaphore *semaphore);

/* ---- thread.c ------------------------------------------------------------- */

/* Create a thread running entry(arg) and make it ready (thread_make_ready,
 * with interrupts masked). NULL when out of memory. */
struct thread *thread_create(const char *name, void (*entry)(void *arg), void *arg);

/* End the calling thread: mark it THREAD_DEAD, wake its joiners, switch
 * away. Also called when an entry function returns (thread_exit_hook). */
KEEL_NORETURN void thread_exit(void);

/* The framework's hook for a thread whose entry function returned
 * (<keel/thread.h>): lab 4 replaces its fallback with one that calls
 * thread_exit. */
KEEL_NORETURN void thread_exit_hook(void);

/* Wait until `thread` has exited, then free it (thread_free). -EINVAL for
 * the calling thread itself or NULL; 0 otherwise. Each thread is joined
 * once. Only threads made by thread_create can be joined: one made with
 * thread_new alone (as lab 5 makes a process's thread) has no record of its
 * end, so joining it is a bug; the reference solution (which lab 5 links)
 * reports it with the caller's file:line, yours may return -EINVAL. */
int thread_join(struct thread *thread);

/* ---- rr.c: round robin ------------------------------------------------- */

/* Timer ticks a thread may run before the next ready thread gets the CPU. */
#define RR_QUANTUM 5

/* Ready threads in a first-in first-out queue; a thread that used
 * RR_QUANTUM ticks in a row is preempted. */
extern const struct scheduler_ops rr_scheduler;

/* ---- mlfq.c: multi-level feedback queue ----------------------------------- */

/* The number of levels, 0 (highest priority) to MLFQ_LEVELS - 1. */
#define MLFQ_LEVELS 4
/* Quantum at level k: MLFQ_BASE_QUANTUM << k ticks. */
#define MLFQ_BASE_QUANTUM 2
/* Every MLFQ_BOOST_TICKS ticks all threads go back to level 0. */
#define MLFQ_BOOST_TICKS 50

/* Always run a thread from the highest non-empty level (0 highest). New
 * threads start at level 0. A thread that uses its whole quantum moves one
 * level down; one that gives up the CPU earlier stays. Keep a thread's level
 * in thread->priority. */
extern const struct scheduler_ops mlfq_scheduler;

#endif
