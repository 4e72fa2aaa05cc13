/* Kernel threads, scheduling hooks, preemption and spin locks (see
 * <keel/thread.h>). */
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

_Static_assert(__builtin_offsetof(struct thread, fpu_state) == 16, "switch.S knows this offset");

static const struct scheduler_ops *scheduler;
static struct thread *current;
static struct thread *idle;
static struct thread main_thread;
static unsigned next_id = 1;

struct thread *thread_current(void)
{
    return current;
}

void scheduler_install(const struct scheduler_ops *ops)
{
    kassert(ops && ops->enqueue && ops->pick_next);
    scheduler = ops;
}

struct thread *thread_new(const char *name, void (*entry)(void *arg), void *arg)
{
    struct thread *thread = kzalloc(sizeof(*thread));
    if (!thread)
        return NULL;
    if (!platform_stack_create(&thread->stack_bottom, &thread->stack_top)) {
        kfree(thread);
        return NULL;
    }
    strlcpy(thread->name, name, sizeof(thread->name));
    thread->id = next_id++;
    thread->state = THREAD_READY;
    thread->entry = entry;
    thread->arg = arg;
    memcpy(thread->fpu_state, main_thread.fpu_state, sizeof(thread->fpu_state));
    thread->saved_rsp = arch_context_init(thread->stack_top, (uintptr_t)entry, (uintptr_t)arg);
    return thread;
}

void thread_free(struct thread *thread)
{
    if (thread == current || thread == &main_thread)
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "thread_free of thread '%s', which is %s", thread->name,
                        thread == current ? "running" : "the boot thread");
    platform_stack_destroy(thread->stack_bottom, thread->stack_top);
    kfree(thread);
}

/* Switch to the next ready thread (or idle); the caller has marked the
 * current one and holds irq_push_off. */
static void switch_away(void)
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
    if (next == previous)
        return;
    previous->irq_nesting = irq_nesting();
    previous->irq_enabled_before = irq_enabled_before();
    current = next;
    platform_set_kernel_stack(next->stack_top);
    user_set_fs_base(next->fs_base);
    phys_addr_t space = next->address_space ? next->address_space : paging_kernel_root();
    if (paging_current_root() != space)
        paging_switch(space);
    arch_context_switch(previous, next);
    /* Running again: take back our own interrupt-mask state. */
    irq_state_restore(previous->irq_nesting, previous->irq_enabled_before);
}

void thread_make_ready(struct thread *thread)
{
    if (cpu_irq_enabled())
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "thread_make_ready with interrupts enabled: call it with them masked");
    if (!scheduler)
        panic("thread_make_ready before scheduler_install");
    thread->state = THREAD_READY;
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
        struct spinlock *lock = current->last_lock;
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "thread '%s' went to sleep holding a spin lock%s%s%s (taken at %s:%d): "
                        "release it first",
                        current->name, lock ? " ('" : "", lock && lock->name ? lock->name : "",
                        lock ? "')" : "", lock && lock->file ? lock->file : "?",
                        lock ? lock->line : 0);
    }
    irq_push_off();
    switch_away();
    irq_pop_off();
}

static void check_may_sleep(uintptr_t site, const char *file, int line);

void thread_yield(void)
{
    check_may_sleep((uintptr_t)__builtin_return_address(0), NULL, 0);
    irq_push_off();
    current->state = THREAD_READY;
    if (current != idle && scheduler)
        scheduler->enqueue(current);
    switch_away();
    irq_pop_off();
}

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
        cpu_irq_enable();
        cpu_halt();
    }
}

static bool preempt_tick(struct trap_frame *frame)
{
    (void)frame;
    interrupt_eoi();
    if (!current)
        return true;
    current->ticks_run++;
    bool preempt = current == idle || (scheduler && scheduler->tick && scheduler->tick(current));
    if (preempt) {
        irq_push_off();
        current->state = THREAD_READY; /* idle is never queued: it runs when nothing else can */
        if (current != idle)
            scheduler->enqueue(current);
        switch_away();
        irq_pop_off();
    }
    return true;
}

void scheduler_start(unsigned hz)
{
    if (current) { /* already started: only the preemption rate changes */
        if (hz) {
            trap_set_handler(TIMER_VECTOR, preempt_tick);
            timer_start(hz);
        }
        cpu_irq_enable();
        return;
    }
    strlcpy(main_thread.name, "main", sizeof(main_thread.name));
    main_thread.id = 0;
    main_thread.state = THREAD_RUNNING;
    arch_fpu_init(main_thread.fpu_state);
    main_thread.stack_bottom = (uintptr_t)boot_stack_bottom;
    main_thread.stack_top = (uintptr_t)boot_stack_top;
    current = &main_thread;
    idle = thread_new("idle", idle_loop, NULL);
    kassert(idle);
    if (hz) {
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
        struct spinlock *lock = current->last_lock;
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
        current->last_lock = lock;
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
