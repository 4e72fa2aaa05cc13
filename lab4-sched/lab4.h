/* Lab 4: what you implement, and what the tests expect of it.
 *   thread.c  creating, exiting and joining threads
 *   rr.c      a round-robin scheduler with timer preemption
 *   sync.c    wait queues, a sleeping mutex, a counting semaphore
 *   mlfq.c    a multi-level feedback queue scheduler
 *   priority.c  (challenge part) a priority scheduler with priority donation
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
    /* Challenge part: the next mutex `owner` holds (a thread's held mutexes
     * in a list, so releasing one can find the donations the others bring). */
    struct mutex *next_held;
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

/* ---- priority.c: the challenge part: priorities and donation ----------- *
 * A priority scheduler: the ready thread with the highest priority runs;
 * equal priorities take turns (round robin, RR_QUANTUM ticks). A thread that
 * sleeps on a mutex lends ("donates") its priority to the mutex's owner, and
 * on along the chain if that owner itself sleeps on a mutex; a thread's
 * effective priority is the highest of its base priority and the donations
 * of every thread waiting for a mutex it holds. Everything here is for the
 * priority scheduler only: with round robin or MLFQ installed, the hooks
 * below do nothing, wait queues wake in arrival order, and thread->priority
 * stays MLFQ's level. Read "Challenge part" in lab4-sched/README.md. */

/* Priorities: higher runs first. */
#define PRI_MIN     0
#define PRI_DEFAULT 31
#define PRI_MAX     63

/* The priority scheduler. Keep every thread's effective priority in
 * thread->priority (the tests read it); a thread made by thread_create, whose
 * fields thread_new zeroed, has priority PRI_MIN. A timer tick preempts the
 * running thread when a ready thread outranks it, or when it used RR_QUANTUM
 * ticks in a row (the next one of equal priority runs). */
extern const struct scheduler_ops priority_scheduler;

/* Give `thread` base and effective priority `priority` (clamped to
 * PRI_MIN..PRI_MAX), holding no mutex and waiting for none: the tests call it
 * for "main" after installing priority_scheduler, whatever earlier tests of
 * the same boot left in its fields. Call with interrupts masked, or on the
 * running thread. */
void priority_thread_init(struct thread *thread, int priority);

/* thread_create, but the new thread starts with base priority `priority`
 * (clamped). If it outranks the caller it runs before this returns. NULL when
 * out of memory. Kernel context. */
struct thread *thread_create_priority(const char *name, int priority, void (*entry)(void *arg),
                                      void *arg);

/* Set the running thread's base priority (clamped). Its effective priority
 * stays at least what threads waiting for its mutexes donate. If a ready
 * thread now outranks it, it yields. Kernel context. */
void thread_set_priority(int priority);

/* The running thread's effective priority (donations included). */
int thread_get_priority(void);

/* The running thread's base priority (what thread_set_priority set). */
int thread_get_base_priority(void);

/* Yield if the priority scheduler runs and a ready thread has a higher
 * priority than the running one; nothing otherwise, nor where the caller may
 * not sleep (interrupts masked, a spin lock held, an interrupt handler):
 * the next timer tick preempts then. sync.c calls it at the end of
 * mutex_unlock and semaphore_up, so a higher-priority waiter runs at once. */
void priority_yield_if_outranked(void);

/* mutex_lock calls this, holding mutex->lock, each time the running thread
 * is about to sleep because `mutex` is taken: donate its priority to the
 * owner, and on along the chain of owners that are themselves waiting for a
 * mutex (however long). */
void priority_mutex_waiting(struct mutex *mutex);

/* mutex_lock calls this, holding mutex->lock, once the running thread has
 * taken `mutex` (owner set): it waits for nothing now, and holds `mutex`. */
void priority_mutex_acquired(struct mutex *mutex);

/* mutex_unlock calls this, holding mutex->lock, after clearing the owner and
 * before waking a waiter: the running thread no longer holds `mutex`, and
 * its effective priority falls back to the highest of its base priority and
 * the donations through the mutexes it still holds. */
void priority_mutex_released(struct mutex *mutex);

/* The waiter wait_wake_one must wake next: with the priority scheduler, the
 * one of highest priority (the longest-waiting among equals); otherwise the
 * longest-waiting (queue->head). NULL if the queue is empty. Call with
 * queue->lock held; the thread stays in the queue. */
struct thread *priority_pick_waiter(const struct wait_queue *queue);

#endif
