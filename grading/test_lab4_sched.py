"""Graders for lab 4 (scheduling): threads, round robin, wait queues, mutex,
semaphore and the multi-level feedback queue.

Every check runs inside the kernel (lab4-sched/tests/*.c) with a 1000 Hz
preemption timer. Run with: make grade LAB=lab4-sched"""
from collections import namedtuple

import pytest

LAB = "lab4-sched"

KTest = namedtuple("KTest", "name points title multiplier", defaults=(3.0,))

IN_KERNEL = [
    KTest("threads_run_and_join", 10, "threads run and are joined; bad joins refused"),
    KTest("join_waits_for_exit", 8, "thread_join waits for the thread to finish"),
    KTest("rr_runs_in_order", 10, "round robin runs ready threads first in, first out"),
    KTest("rr_preempts_a_thread_that_never_yields", 10, "a thread that never yields is preempted"),
    KTest("rr_shares_the_cpu_fairly", 8, "two equal threads get comparable shares"),
    KTest("wait_queue_no_lost_wakeups", 12, "500 hand-overs through a wait queue, none lost"),
    KTest("mutex_counts_exactly", 12, "a mutex keeps a shared counter exact"),
    KTest("semaphore_limits_concurrency", 10, "a semaphore of 2 admits exactly 2"),
    KTest("mlfq_demotes_cpu_hogs", 10, "MLFQ demotes CPU hogs, keeps interactive threads on top"),
    KTest("mlfq_boost_prevents_starvation", 10, "MLFQ boosts so demoted threads do not starve"),
]


@pytest.mark.parametrize("test", [
    pytest.param(t, marks=[pytest.mark.points(t.points), pytest.mark.title(t.title)], id=t.name)
    for t in IN_KERNEL])
def test_in_kernel(lab, test, tmp_path):
    lab.check_ktest(test.name, str(tmp_path), test.multiplier)
