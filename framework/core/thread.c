/* Kernel threads, scheduling hooks, preemption and spin locks (see
 * <keel/thread.h>).
 *
 * One CPU, so "the running thread" is one variable, and masking interrupts
 * is what keeps a switch atomic: every path into switch_away holds
 * irq_push_off, so no interrupt handler (the timer's preemption, a device
 * that wakes a thread) can see a thread half switched. The interrupt-mask
 * nesting is one counter for the CPU, but each thread is somewhere in its
 * own irq_push_off/irq_pop_off pairs: a thread's count leaves with it when it
 * is switched out and comes back when it runs again. */
#include <keel/cpu.h>
#include <keel/frame.h>
#include <keel/heap.h>
#include <keel/interrupt.h>
#include <keel/kprintf.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/safe.h>
#include <keel/string.h>
#include <keel/thread.h>
#include <keel/trap.h>
#include <keel/user.h>

#include "internal.h"

/* switch.S saves and loads a thread's context at fixed offsets. */
_Static_assert(__builtin_offsetof(struct thread, framework.saved_rsp) == 0,
               "switch.S knows this offset");
_Static_assert(__builtin_offsetof(struct thread, framework.fpu_state) == 16,
               "switch.S knows this offset");

static const struct scheduler_ops *scheduler;
static struct thread *current;
static struct thread *idle;
static struct thread main_thread;
static unsigned next_id = 1;
static unsigned preempt_hz; /* the rate scheduler_start asked for */

struct thread *thread_current(void)
{
    if (perturb_active)
        perturb_point();
    return current;
}

void scheduler_install(const struct scheduler_ops *ops)
{
    kassert(ops && ops->enqueue && ops->pick_next);
    scheduler = ops;
}

/* thread_new, with the struct recorded as a heap block of `kind` allocated
 * at `site`: the leak check counts the threads labs create, not the idle
 * thread, and names where each was created. */
static struct thread *create(const char *name, void (*entry)(void *arg), void *arg,
                             enum heap_kind kind, uintptr_t site)
{
    /* Zeroed: the scheduler's fields start empty and the thread runs in the
     * kernel's address space until someone sets another. */
    struct thread *thread = heap_alloc_as(sizeof(*thread), kind, site);
    if (!thread)
        return NULL;
    if (!platform_stack_create(&thread->framework.stack_bottom, &thread->framework.stack_top)) {
        kfree(thread);
        return NULL;
    }
    strlcpy(thread->name, name, sizeof(thread->name));
    thread->id = next_id++;
    thread->state = THREAD_READY;
    thread->entry = entry;
    thread->arg = arg;
    /* The first switch to the thread loads this FPU/SSE state, so it must be
     * a valid one with floating-point exceptions masked (all zeros would
     * unmask them): the boot thread's, which scheduler_start set up. */
    memcpy(thread->framework.fpu_state, main_thread.framework.fpu_state,
           sizeof(thread->framework.fpu_state));
    /* A stack that looks as if the thread had called arch_context_switch
     * itself: the first switch to it "returns" into thread_trampoline, which
     * calls thread_started, then entry(arg), then thread_exit_hook. */
    thread->framework.saved_rsp =
        arch_context_init(thread->framework.stack_top, (uintptr_t)entry, (uintptr_t)arg);
    return thread;
}

struct thread *thread_new(const char *name, void (*entry)(void *arg), void *arg)
{
    return create(name, entry, arg, HEAP_KIND_THREAD, (uintptr_t)__builtin_return_address(0));
}

void thread_free(struct thread *thread)
{
    uintptr_t caller = (uintptr_t)__builtin_return_address(0);
    if (thread == current || thread == &main_thread)
        keel_report_bug(caller, "thread_free of thread '%s', which is %s", thread->name,
                        thread == current ? "running" : "the boot thread");
    if (thread->state != THREAD_DEAD && thread->framework.scheduled)
        keel_report_bug(caller,
                        "thread_free of thread '%s', which has not ended: it is %s. Free a "
                        "thread only once it is THREAD_DEAD (switched away for good), or if "
                        "thread_make_ready never saw it",
                        thread->name,
                        thread->state == THREAD_READY
                            ? "ready, and the scheduler would switch to it in freed memory"
                        : thread->state == THREAD_BLOCKED
                            ? "blocked, and a wait queue still holds it: the wake-up would "
                              "touch freed memory"
                            : "marked running");
    if (perturb_active)
        perturb_note_awake(thread);
    platform_stack_destroy(thread->framework.stack_bottom, thread->framework.stack_top);
    kfree(thread);
}

/* Switch to the next ready thread (or idle); the caller has marked the
 * current one and holds irq_push_off. Whether another thread ran (false: the
 * scheduler picked the caller again). */
static bool switch_away(void)
{
    struct thread *previous = current;
    struct thread *next = scheduler ? scheduler->pick_next() : NULL;
    if (!next)
        next = previous->state == THREAD_RUNNING ? previous : idle;
    if (!next)
        panic("no thread to run: '%s' is blocked and there is no idle thread (call "
              "scheduler_start first)",
              previous->name);
    next->state = THREAD_RUNNING;
    next->framework.scheduled = true;
    if (perturb_active)
        perturb_note_switch(next == idle);
    if (next == previous)
        return false;
    /* The mask nesting is the CPU's, but how deep it is belongs to this
     * thread's own call chain: keep it until the thread runs again. */
    previous->framework.irq_nesting = irq_nesting();
    previous->framework.irq_enabled_before = irq_enabled_before();
    current = next;
    /* Everything the CPU takes from the thread without being asked goes in
     * before the switch: a trap from user mode lands on the thread's own
     * kernel stack, and user code finds its own TLS and address space. */
    platform_set_kernel_stack(next->framework.stack_top);
    user_set_fs_base(next->fs_base);
    phys_addr_t space = next->address_space ? next->address_space : paging_kernel_root();
    if (paging_current_root() != space)
        paging_switch(space);
    arch_context_switch(previous, next);
    /* Running again, maybe much later, after a switch some other thread
     * made: take back our own interrupt-mask state. */
    irq_state_restore(previous->framework.irq_nesting, previous->framework.irq_enabled_before);
    return true;
}

void thread_make_ready(struct thread *thread)
{
    if (cpu_irq_enabled())
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "thread_make_ready with interrupts enabled: call it with them masked");
    if (!scheduler)
        panic("thread_make_ready before scheduler_install");
    if (perturb_active)
        perturb_note_awake(thread);
    thread->state = THREAD_READY;
    thread->framework.scheduled = true;
    scheduler->enqueue(thread);
}

const struct scheduler_ops *scheduler_current(void)
{
    return scheduler;
}

void schedule(void)
{
    if (!current)
        panic("schedule() before scheduler_start()");
    if (current->state == THREAD_RUNNING)
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "schedule() called while thread '%s' is still running: mark it blocked "
                        "(or use thread_yield)",
                        current->name);
    if (cpu_irq_enabled())
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "schedule() with interrupts enabled: a wakeup could slip in between "
                        "blocking and switching; call it inside irq_push_off()");
    /* One level of masking is the caller's own; more means a spin lock is
     * still held while this thread goes to sleep. */
    if (irq_nesting() > 1) {
        struct spinlock *lock = current->framework.last_lock;
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "thread '%s' went to sleep holding a spin lock%s%s%s (taken at %s:%d): "
                        "release it first",
                        current->name, lock ? " ('" : "", lock && lock->name ? lock->name : "",
                        lock ? "')" : "", lock && lock->file ? lock->file : "?",
                        lock ? lock->line : 0);
    }
    if (perturb_active && current->state == THREAD_BLOCKED)
        perturb_note_sleep(current, (uintptr_t)__builtin_return_address(0));
    irq_push_off();
    switch_away();
    irq_pop_off();
}

static void check_may_sleep(uintptr_t site, const char *file, int line);

/* Give the running thread back to the scheduler, ready, and run the next
 * (which may be the same thread): a yield, and a preempting timer tick. The
 * idle thread is never queued: it runs when nothing else can. */
static bool requeue_and_switch(void)
{
    irq_push_off();
    current->state = THREAD_READY;
    if (current != idle && scheduler)
        scheduler->enqueue(current);
    bool switched = switch_away();
    irq_pop_off();
    return switched;
}

bool thread_preemptible_here(void)
{
    return current && current != idle && scheduler && cpu_irq_enabled() && irq_nesting() == 0;
}

void thread_preempt_here(void)
{
    /* requeue_and_switch without irq_push_off and irq_pop_off, which are
     * perturbation points themselves. */
    cpu_irq_disable();
    irq_state_restore(1, true);
    current->state = THREAD_READY;
    scheduler->enqueue(current);
    switch_away();
    irq_state_restore(0, true);
    cpu_irq_enable();
}

void thread_yield(void)
{
    check_may_sleep((uintptr_t)__builtin_return_address(0), NULL, 0);
    requeue_and_switch();
}

/* A new thread's first C code (from thread_trampoline). It starts inside the
 * switch_away of the thread that switched to it, whose irq_push_off it will
 * never pop: that nesting was saved with the other thread and is restored
 * when it runs again. The new thread starts fresh instead, as any code
 * entered from nothing: no masking of its own, interrupts on, so the timer
 * can preempt it from its first instruction. */
void thread_started(void)
{
    irq_state_restore(0, true);
    cpu_irq_enable();
}

__attribute__((weak)) void thread_exit_hook(void)
{
    irq_push_off();
    current->state = THREAD_DEAD;
    switch_away();
    panic("a dead thread ran again");
}

static void idle_loop(void *unused)
{
    (void)unused;
    for (;;) {
        if (perturb_active)
            perturb_check_idle();
        cpu_irq_enable();
        cpu_halt();
    }
}

/* The timer's handler once scheduler_start(hz) asked for preemption. It
 * runs on the interrupted thread's stack with interrupts off, its trap frame
 * holding the thread's registers; switching away from here leaves that frame
 * on the stack, and when the thread runs again the handler returns and the
 * trap's return resumes it where the tick came. */
static bool preempt_tick(struct trap_frame *frame)
{
    (void)frame;
    /* Acknowledge first: the switch may not come back here for a long time,
     * and until the EOI the interrupt controller holds back the next tick
     * (and every lower-priority interrupt) from whatever runs meanwhile. */
    interrupt_eoi();
    if (!current) /* a tick before scheduler_start: nothing to preempt */
        return true;
    /* Counted before tick() so the scheduler sees this tick in it. */
    current->framework.ticks_run++;
    /* Idle gives way at every tick, so a thread made ready meanwhile (by an
     * interrupt handler) runs within a tick. */
    bool preempt = current == idle || (scheduler && scheduler->tick && scheduler->tick(current));
    if (perturb_active && preempt_hz)
        preempt |= perturb_tick(preempt_hz);
    /* Counted (once this thread runs again) only when another thread ran,
     * as Linux counts involuntary context switches (getrusage's ru_nivcsw). */
    struct thread *preempted = current;
    if (preempt && requeue_and_switch() && preempted != idle)
        preempted->framework.preemptions++;
    return true;
}

void scheduler_start(unsigned hz)
{
    if (current) { /* already started: only the preemption rate changes */
        if (hz) {
            preempt_hz = hz;
            trap_set_handler(TIMER_VECTOR, preempt_tick);
            timer_start(hz);
        }
        cpu_irq_enable();
        return;
    }
    strlcpy(main_thread.name, "main", sizeof(main_thread.name));
    main_thread.id = 0;
    main_thread.state = THREAD_RUNNING;
    arch_fpu_init(main_thread.framework.fpu_state);
    main_thread.framework.stack_bottom = (uintptr_t)boot_stack_bottom;
    main_thread.framework.stack_top = (uintptr_t)boot_stack_top;
    current = &main_thread;
    idle = create("idle", idle_loop, NULL, HEAP_KIND_FRAMEWORK, 0);
    kassert(idle);
    if (hz) {
        preempt_hz = hz;
        trap_set_handler(TIMER_VECTOR, preempt_tick);
        timer_start(hz);
    }
    cpu_irq_enable();
}

/* Report why the current thread may not sleep, if it may not. `site` is
 * the caller to name; `file`/`line` the place, when the caller knows it. */
static void check_may_sleep(uintptr_t site, const char *file, int line)
{
    if (!current)
        return;
    char where[96] = "here";
    if (file)
        ksnprintf(where, sizeof(where), "at %s:%d", file, line);
    if (irq_nesting() > 0) {
        struct spinlock *lock = current->framework.last_lock;
        if (lock && lock->locked && lock->holder == current)
            keel_report_bug(site,
                            "thread '%s' may not sleep %s: it holds spin lock '%s' (taken at "
                            "%s:%d)",
                            current->name, where, lock->name ? lock->name : "?", lock->file,
                            lock->line);
        keel_report_bug(site,
                        "thread '%s' may not sleep %s: interrupts are masked (irq_push_off "
                        "nesting %u)",
                        current->name, where, irq_nesting());
    }
    if (!cpu_irq_enabled())
        keel_report_bug(site, "thread '%s' may not sleep %s: interrupts are disabled",
                        current->name, where);
}

void thread_check_may_sleep(const char *file, int line)
{
    check_may_sleep((uintptr_t)__builtin_return_address(0), file, line);
}

/* Whether a pointer found in memory that may have been overwritten can be
 * followed for a report. */
static bool readable(const void *pointer)
{
    uint8_t byte;
    return pointer && safe_read8(pointer, &byte);
}

void spin_lock_at(struct spinlock *lock, const char *file, int line)
{
    irq_push_off();
    if (lock->locked && lock->holder == current && current)
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "spin lock '%s' taken twice by thread '%s' (first at %s:%d): it would "
                        "wait for itself forever",
                        lock->name ? lock->name : "?", current->name, lock->file, lock->line);
    if (lock->locked) {
        /* Keel runs on one CPU and the holder cannot run while interrupts
         * are off: waiting would be forever. A lock held by no one real is
         * often memory some overflow wrote over: look for that first. */
        uintptr_t site = (uintptr_t)__builtin_return_address(0);
        heap_check_all(site);
        bool sane = readable(lock->name) && readable(lock->holder) && readable(lock->file);
        keel_report_bug(site,
                        "spin lock '%s' is already held (by thread '%s', taken at %s:%d) and on "
                        "one CPU it can never be released: a deadlock, or the lock at %p was "
                        "overwritten",
                        sane ? lock->name : "?", sane ? lock->holder->name : "?",
                        sane ? lock->file : "?", sane ? lock->line : 0, (void *)lock);
    }
    while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
        cpu_relax();
    lock->holder = current;
    lock->file = file;
    lock->line = line;
    if (current)
        current->framework.last_lock = lock;
}

void spin_unlock(struct spinlock *lock)
{
    if (!lock->locked || lock->holder != current)
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "spin_unlock of '%s', which the running thread does not hold",
                        lock->name ? lock->name : "?");
    lock->holder = NULL;
    __atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
    irq_pop_off();
}

bool spin_held(const struct spinlock *lock)
{
    return lock->locked && lock->holder == current;
}
