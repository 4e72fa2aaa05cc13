"""Graders for lab 4 (scheduling): threads, round robin, wait queues, mutex,
semaphore and the multi-level feedback queue.

Every check runs inside the kernel (lab4-sched/tests/*.c) with a 1000 Hz
preemption timer. Run with: make grade LAB=lab4-sched"""

import pytest

from keelgrade.table import KTest, in_kernel_tests

LAB = "lab4-sched"


IN_KERNEL = [
    KTest("threads_run_and_join", 10, "threads run and are joined; bad joins refused", 3.0),
    KTest("join_waits_for_exit", 8, "thread_join waits for the thread to finish", 3.0),
    KTest("rr_runs_in_order", 10, "round robin runs ready threads first in, first out", 3.0),
    KTest("rr_preempts_a_thread_that_never_yields", 10, "a thread that never yields is preempted", 3.0),
    KTest("rr_shares_the_cpu_fairly", 8, "two equal threads get comparable shares", 3.0),
    KTest("wait_queue_no_lost_wakeups", 12, "500 hand-overs through a wait queue, none lost", 3.0),
    KTest("mutex_counts_exactly", 12, "a mutex keeps a shared counter exact", 3.0),
    KTest("semaphore_limits_concurrency", 10, "a semaphore of 2 admits exactly 2", 3.0),
    KTest("mlfq_demotes_cpu_hogs", 10, "MLFQ demotes CPU hogs, keeps interactive threads on top", 3.0),
    KTest("mlfq_boost_prevents_starvation", 10, "MLFQ boosts so demoted threads do not starve", 3.0),
]


test_in_kernel = in_kernel_tests(IN_KERNEL)
