"""Lab 4 (threads and scheduling): deliberately broken versions of the reference solution
(see __init__.py for the shape of a row)."""

BROKEN = {
    "heap_overflow": (
        "lab4-sched", "thread.c", "kzalloc(sizeof(*join))", "kzalloc(sizeof(join))",
        "threads_run_and_join",
        # Which of the heap's checks sees the overflow first depends on the
        # bytes written (addresses, which move with each build's layout):
        # the guard after the block, or the header of the next one.
        {"pc": ["BUG CAUGHT BY KEEL", ("overwritten by the block before it",
                                       "wrote past the end of the 8-byte block")],
         "linux": ["AddressSanitizer: use-after-poison", "outside a kmalloc", "thread_create"]}),
    "mutex_that_does_not_wait": (
        "lab4-sched", "sync.c",
        "    while (mutex->locked) {\n        priority_mutex_waiting(mutex);\n        wait_sleep(&mutex->waiters, &mutex->lock);\n    }\n",
        "",
        "mutex_counts_exactly", ["does not hold the mutex"]),
    "rr_last_in_first_out": (
        "lab4-sched", "rr.c", "    struct thread *thread = head;\n    if (!thread)",
        "    struct thread *thread = tail;\n    if (thread) { tail = thread->prev; if (tail) tail->next = NULL; else head = NULL; thread->next = thread->prev = NULL; thread->sched_data[TICKS_USED] = 0; return thread; }\n    if (!thread)",
        "rr_runs_in_order", ["first in, first out"]),
    # The lost-wakeup window: the caller's lock released before the thread is
    # on the wait queue. A wakeup in the window finds nobody, and everyone
    # ends up asleep; a plain run almost never hits it, the perturbed runs
    # of the graders always do (keelgrade/perturb.py).
    "wait_sleep_lost_wakeup": (
        "lab4-sched", "sync.c",
        "    irq_push_off(); /* no wakeup may run between queueing and switching */\n"
        "    spin_lock(&queue->lock);\n",
        "    spin_unlock(lock); /* too early: the window opens here */\n"
        "    irq_push_off();\n"
        "    spin_lock(&queue->lock);\n",
        "wait_queue_no_lost_wakeups",
        ["Failed under schedule perturbation, seed", "lost wakeup", "asleep", "wait_sleep",
         "sync.c:"]),
    "mlfq_without_boost": (
        "lab4-sched", "mlfq.c", "    if (++ticks_since_boost >= MLFQ_BOOST_TICKS) {",
        "    if (++ticks_since_boost >= MLFQ_BOOST_TICKS && false) {",
        "mlfq_boost_prevents_starvation", ["boost every MLFQ_BOOST_TICKS"]),
    # Caught by the leak check after every test: what leaked, and where it
    # was allocated.
    "join_never_frees_the_thread": (
        "lab4-sched", "thread.c", "    kfree(join);\n    thread_free(thread);\n", "    kfree(join);\n",
        "threads_run_and_join",
        ["memory leak", "never freed with thread_free", "created by thread_create", "thread.c:"]),
    # A join that does not wait for the end frees a thread the scheduler
    # still holds: the framework's thread_free says so at the caller.
    "join_does_not_wait": (
        "lab4-sched", "thread.c",
        "    while (!join->exited)\n        wait_sleep(&join->joiners, &join->lock);\n", "",
        "join_waits_for_exit",
        ["thread_free of thread 'late', which has not ended: it is ready", "thread.c:"]),
    "join_keeps_the_join_state": (
        "lab4-sched", "thread.c", "    kfree(join);\n    thread_free(thread);\n",
        "    thread_free(thread);\n", "threads_run_and_join",
        ["memory leak", "more heap blocks", "heap blocks (", "bytes) from thread_create", "thread.c:"]),
}

WRONG_ANSWERS = {
    "mlfq_quantum_one_tick_long": (
        "lab4-sched", "mlfq.c", "if (++current->sched_data[TICKS_USED] < quantum)",
        "if (++current->sched_data[TICKS_USED] <= quantum)", "mlfq_follows_a_seeded_schedule"),
}

# Second edits some variants need besides their main one: name: (text, broken text).
ALSO = {
    "wait_sleep_lost_wakeup": ("    spin_unlock(&queue->lock);\n    spin_unlock(lock);\n",
                               "    spin_unlock(&queue->lock);\n"),
}
