/* Kernel threads: stacks with guard pages, the context switch, the
 * scheduler interface a scheduler (lab 4) plugs into, timer preemption, and
 * spin locks that catch sleeping in the wrong place.
 *
 * The framework switches threads; the scheduler decides which one runs.
 * Until scheduler_start() the boot code runs as no thread at all. */
#ifndef KEEL_THREAD_H
#define KEEL_THREAD_H

#include <keel/types.h>

/* Room for a thread's name, NUL included: thread_new cuts longer names. */
#define THREAD_NAME_MAX 24
/* A kernel thread's stack (four times as much on the Linux platform, whose
 * AddressSanitizer makes every frame larger). */
#define THREAD_STACK_SIZE (16 * 1024)

/* Where a thread is in its life; who holds it in each state is noted below. */
enum thread_state {
    THREAD_READY,   /* runnable, waiting for the CPU (the scheduler holds it) */
    THREAD_RUNNING, /* on the CPU */
    THREAD_BLOCKED, /* waiting for something (a wait queue holds it) */
    THREAD_DEAD,    /* finished; its stack can be freed */
};

struct spinlock;

/* The part of a thread that belongs to the framework: the framework alone
 * writes it (thread_new, the context switch, the timer tick, spin locks). A
 * scheduler or a lab reads at most ticks_run, preemptions and the stack
 * bounds, and never writes any of it: a wrong value here breaks the context
 * switch or the checks that catch sleeping with a lock held, far from the
 * write. */
struct thread_framework_part {
    uintptr_t saved_rsp; /* the stack pointer while switched out (offset 0) */
    uint64_t reserved;
    /* FPU/SSE registers while switched out (an fxsave area, offset 16) */
    uint8_t fpu_state[512] __attribute__((aligned(16)));
    /* The kernel stack; an unmapped guard page lies below stack_bottom. */
    uintptr_t stack_bottom, stack_top;
    uint64_t ticks_run;   /* timer ticks spent running, counted before scheduler tick */
    uint64_t preemptions; /* ticks that gave the CPU to another thread (ready again) */
    bool scheduled;       /* made ready (thread_make_ready) or run at least once */
    /* The last spin lock taken, and the interrupt-mask state to restore
     * when the thread runs again. */
    struct spinlock *last_lock;
    unsigned irq_nesting;
    bool irq_enabled_before;
};

/* A kernel thread. The framework allocates it (thread_new) and owns the
 * `framework` part; the scheduler (lab 4) and wait queues own the linkage
 * and scheduling fields. */
struct thread {
    /* The framework's own (see above). First: the context switch finds
     * saved_rsp and fpu_state at fixed offsets of the struct. */
    struct thread_framework_part framework;
    /* What the thread is: set by thread_new, never changed after. */
    char name[THREAD_NAME_MAX];
    unsigned id;
    void (*entry)(void *arg);
    void *arg;
    /* Where it is in its life: the framework, the scheduler and wait queues
     * each set it as the thread moves between them. */
    enum thread_state state;
    /* For the scheduler and wait queues (lab 4): the framework never
     * touches these after thread_new zeroed them. */
    struct thread *next, *prev;
    int priority;
    uint64_t sched_data[4];
    void *owner_data;
    /* What user mode runs with, set by whoever runs user code in the
     * thread (lab 5's processes); the framework loads both on every switch
     * to the thread. The FS segment base (user TLS; user_set_fs_base sets
     * it for the running thread), and the address space (top-level table),
     * 0 for the kernel's. */
    uintptr_t fs_base;
    phys_addr_t address_space;
};

/* What a scheduler provides. All three are called with interrupts disabled. */
struct scheduler_ops {
    const char *name;
    /* Take `thread` (state THREAD_READY) into the set of runnable threads. */
    void (*enqueue)(struct thread *thread);
    /* Remove and return the thread to run next, or NULL if none is ready
     * (the framework then runs its idle thread). */
    struct thread *(*pick_next)(void);
    /* A timer tick while `current` runs; return true to preempt it (the
     * framework then re-enqueues it and switches). */
    bool (*tick)(struct thread *current);
};

/* Make `ops` the scheduler. Kernel context, before scheduler_start. */
void scheduler_install(const struct scheduler_ops *ops);

/* Turn the running boot code into thread "main" (id 0), create the idle
 * thread, and preempt on every tick of a `hz` timer (0: no preemption, the
 * timer is left alone). Interrupts are enabled on return. */
void scheduler_start(unsigned hz);

/* A new thread that will run entry(arg), in state THREAD_READY but not yet
 * given to the scheduler (scheduler's enqueue does that). When entry returns
 * the thread calls thread_exit_hook. NULL when out of memory. Kernel context. */
struct thread *thread_new(const char *name, void (*entry)(void *arg), void *arg);

/* Free a thread's stack and struct: one that has ended (THREAD_DEAD, and so
 * switched away for good), or one from thread_new that was never made ready.
 * Freeing the running thread, the boot thread, or one a ready queue or wait
 * queue may still hold (ready or blocked) is reported as a bug at the
 * caller: the scheduler would later switch to freed memory. Kernel context. */
void thread_free(struct thread *thread);

/* The running thread (NULL before scheduler_start). Any context. */
struct thread *thread_current(void);

/* Give up the CPU: the running thread goes back to the scheduler (ready)
 * and the next one runs. Kernel context; reports a bug if a spin lock is
 * held or interrupts are disabled by the caller. */
void thread_yield(void);

/* Make a blocked (or new) thread runnable: state THREAD_READY, handed to the
 * scheduler's enqueue. Call with interrupts disabled (inside a spin lock or
 * irq_push_off). */
void thread_make_ready(struct thread *thread);

/* The scheduler in use, NULL before scheduler_install. */
const struct scheduler_ops *scheduler_current(void);

/* Stop running the current thread, which must already be in another state
 * than THREAD_RUNNING (blocked on something, or dead), and switch to the
 * next. Call with interrupts disabled (irq_push_off) so a wakeup cannot slip
 * in between marking the thread blocked and switching. */
void schedule(void);

/* Called when a thread's entry function returns; lab 4 provides it
 * (thread_exit). The framework's fallback marks the thread dead and
 * schedules. */
KEEL_NORETURN void thread_exit_hook(void);

/* Report a bug at file:line if the caller may not sleep here: a spin lock
 * is held, or interrupts are disabled. Sleeping primitives call it first. */
void thread_check_may_sleep(const char *file, int line);

/* Put at the start of anything that may sleep: thread_check_may_sleep with
 * the caller's file and line. */
#define might_sleep() thread_check_may_sleep(__FILE__, __LINE__)

/* ---- spin locks --------------------------------------------------------- */

/* A spin lock: lock holders run with interrupts disabled, so it is safe
 * against interrupt handlers on this CPU. Initialise with SPINLOCK_INIT; the
 * fields other than name are the lock's own and only read by reports. */
struct spinlock {
    volatile uint32_t locked;
    const char *name;
    struct thread *holder;
    const char *file; /* where it was taken */
    int line;
};

/* Static initialiser: struct spinlock lock = SPINLOCK_INIT("lock"). */
#define SPINLOCK_INIT(lock_name)                                                                   \
    {                                                                                              \
        0, lock_name, NULL, NULL, 0                                                                \
    }

/* Take `lock` with interrupts disabled (irq_push_off) until spin_unlock.
 * Taking a lock the running thread already holds is reported as a bug. */
void spin_lock_at(struct spinlock *lock, const char *file, int line);
#define spin_lock(lock) spin_lock_at((lock), __FILE__, __LINE__)

/* Release `lock`; reported as a bug if the running thread does not hold it. */
void spin_unlock(struct spinlock *lock);

/* Whether the running thread holds `lock`. */
bool spin_held(const struct spinlock *lock);

#endif
