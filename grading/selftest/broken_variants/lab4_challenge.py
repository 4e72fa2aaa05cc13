"""Broken variants of lab 4's challenge part (priority scheduling and priority
donation), in the BROKEN format of __init__.py."""

BROKEN = {
    # The ready queue taken first in, first out: priorities ignored.
    "priority_pick_next_ignores_priority": (
        "lab4-sched", "priority.c", "        if (thread->priority > best->priority)\n            best = thread;\n    return best;\n}\n\nstatic struct thread *priority_pick_next",
        "        if (false)\n            best = thread;\n    return best;\n}\n\nstatic struct thread *priority_pick_next",
        "priority_runs_the_highest_first", ["a lower one waits", "expected \"aMc\""]),
    # Equal priorities never rotate: the tick preempts only for a higher one.
    "priority_no_round_robin": (
        "lab4-sched", "priority.c", "    return ++current->sched_data[TICKS_USED] >= RR_QUANTUM;",
        "    return false;", "priority_equal_threads_take_turns", ["equal priorities take turns"]),
    # No donation at all: the waiter just sleeps.
    "priority_no_donation": (
        "lab4-sched", "priority.c", "        holder->priority = self->priority;\n",
        "        break;\n", "priority_donate_one",
        ["waits for the mutex main holds", "main's priority is 31", "expected 32"]),
    # Donation to the direct holder only, not on down the chain.
    "priority_donation_not_nested": (
        "lab4-sched", "priority.c", "        holder = next ? next->owner : NULL;",
        "        holder = next ? NULL : NULL;", "priority_donate_chain",
        ["down the whole chain", "through the threads between"]),
    # The donation never ends: unlock forgets to recompute.
    "priority_release_keeps_the_donation": (
        "lab4-sched", "priority.c", "    mutex->next_held = NULL;\n    recompute(self);\n}",
        "    mutex->next_held = NULL;\n}", "priority_donate_one",
        ["after mutex_unlock (the donation must end)", "expected 31"]),
    # Release falls back to the base priority, forgetting the donations of
    # the other mutexes the thread still holds.
    "priority_release_drops_every_donation": (
        "lab4-sched", "priority.c", "    mutex->next_held = NULL;\n    recompute(self);\n}",
        "    mutex->next_held = NULL;\n    self->priority = (int)self->sched_data[BASE];\n}",
        "priority_donate_multiple", ["keeps the highest donation", "expected 32"]),
    # thread_set_priority overwrites the effective priority, donation and all.
    "priority_set_priority_drops_the_donation": (
        "lab4-sched", "priority.c", "    self->sched_data[BASE] = (uint64_t)clamp(priority);\n    recompute(self);",
        "    self->sched_data[BASE] = (uint64_t)clamp(priority);\n    self->priority = clamp(priority);",
        "priority_donate_lower", ["the donation still holds", "expected 41"]),
    # Wait queues wake in arrival order even with the priority scheduler.
    "priority_wakes_in_arrival_order": (
        "lab4-sched", "priority.c", "    struct thread *best = queue->head;\n    if (!active())\n        return best;",
        "    struct thread *best = queue->head;\n    if (active())\n        return best;",
        "priority_semaphore_wakes_the_highest_first",
        ["semaphore_up wakes the waiter of highest priority"]),
    # semaphore_up wakes a higher-priority waiter but does not yield to it.
    "priority_semaphore_up_does_not_yield": (
        "lab4-sched", "sync.c", "    spin_unlock(&semaphore->lock);\n    priority_yield_if_outranked();",
        "    spin_unlock(&semaphore->lock);", "priority_semaphore_wakes_the_highest_first",
        ["must run before semaphore_up returns"]),
}
