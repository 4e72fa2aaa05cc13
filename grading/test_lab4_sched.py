"""Graders for lab 4 (scheduling): threads, round robin, wait queues, mutex,
semaphore and the multi-level feedback queue.

Every check runs inside the kernel (lab4-sched/tests/*.c), most with a 1000 Hz
preemption timer. The concurrency tests (perturb=True) run once per schedule
perturbation seed, the framework preempting threads at random points where a
tick could come, so a race window is hit (keelgrade/perturb.py); a failure
names the seed that replays it. Some tests are host-checked (keelgrade/seeded.py): the
kernel draws its work from a seed the grader picks for each run, and the
functions below compute what the kernel must answer for that seed, from the
rules in lab4-sched/README.md and lab4.h alone. Run with: make grade
LAB=lab4-sched"""
from collections import deque

from keelgrade.seeded import SplitMix64
from keelgrade.table import KTest, in_kernel_tests

LAB = "lab4-sched"

# lab4.h's MLFQ constants.
MLFQ_LEVELS = 4
MLFQ_BASE_QUANTUM = 2
MLFQ_BOOST_TICKS = 50


def plural(count, word):
    return word if count == 1 else word + "s"


def rr_seeded_turns(seed):
    """rr_seeded_turns_follow_first_in_first_out: with the timer stopped, a
    thread switch happens only where a thread yields, so the trace is round
    robin's first-in first-out order. Main creates threads a, b, ... in order
    (each is queued as it is created) and then only waits in thread_join; each
    turn of a thread appends its letter and yields (back to the tail of the
    queue); in its planned turn a thread first creates its helper (capital
    letter), which joins the tail before its creator does. A thread whose turns
    are over leaves the queue without a letter."""
    rng = SplitMix64(seed)
    threads = 3 + rng.below(4)
    lines, queue, plans = [], deque(), {}
    for i in range(threads):
        letter, helper = chr(ord("a") + i), chr(ord("A") + i)
        turns = 1 + rng.below(6)
        helper_at = rng.below(turns + 2)
        helper_turns = 1 + rng.below(4)
        if helper_at < turns:
            lines.append(f"thread {letter}: {turns} {plural(turns, 'turn')}; in turn "
                         f"{helper_at + 1} it creates {helper}, which takes {helper_turns} "
                         f"{plural(helper_turns, 'turn')}")
            plans[letter] = (turns, helper_at, helper)
            plans[helper] = (helper_turns, None, None)
        else:
            lines.append(f"thread {letter}: {turns} {plural(turns, 'turn')}")
            plans[letter] = (turns, None, None)
        queue.append(letter)
    trace, taken = "", {name: 0 for name in plans}
    while queue:
        letter = queue.popleft()
        turns, helper_at, helper = plans[letter]
        trace += letter
        if taken[letter] == helper_at:
            queue.append(helper)
        taken[letter] += 1
        if taken[letter] < turns:
            queue.append(letter)
    return lines + [f"trace: {trace}"]


def semaphore_ring(seed):
    """semaphores_pass_seeded_items_through_a_ring: whatever the interleaving,
    every value a producer sends arrives exactly once, so each producer's
    count and sum are fixed by the seed."""
    rng = SplitMix64(seed)
    ring = 2 + rng.below(3)
    producers = 2 + rng.below(2)
    consumers = 2 + rng.below(2)
    sent = []
    for _ in range(producers):
        count = 20 + rng.below(61)
        sent.append([rng.below(1000000) for _ in range(count)])
    total = sum(len(values) for values in sent)
    lines = [f"ring of {ring} slots; {producers} producers; {consumers} consumers taking "
             f"{total} items in all"]
    return lines + [f"from producer {p}: {len(values)} items, values summing to {sum(values)}"
                    for p, values in enumerate(sent)]


def mlfq_seeded_schedule(seed):
    """mlfq_follows_a_seeded_schedule: the test calls the scheduler's enqueue,
    pick_next and tick itself. The model: one first-in first-out queue per
    level, picks from the highest non-empty level (0), new threads at level 0;
    a thread that runs gets ticks until its whole quantum (MLFQ_BASE_QUANTUM <<
    level) is used, then is preempted, one level lower (the lowest stays);
    one that yields before its first tick, or sleeps, keeps its level and
    rejoins its level's tail when it yields or wakes. The test delivers fewer
    than MLFQ_BOOST_TICKS ticks, so no boost happens. First, whatever the
    seed, a probe thread alone uses its whole quantum at every level, down to
    the lowest, where it stays."""
    lines = [f"probe at level {k}: ran {MLFQ_BASE_QUANTUM << k} ticks and was preempted"
             for k in range(MLFQ_LEVELS)]
    lines.append(f"probe level at the end: {MLFQ_LEVELS - 1}")
    ticks_delivered = sum(MLFQ_BASE_QUANTUM << k for k in range(MLFQ_LEVELS))
    rng = SplitMix64(seed)
    count = 3 + rng.below(3)
    kinds = [("hog", "interactive", "mixed")[rng.below(3)] for _ in range(count)]
    names = [chr(ord("a") + i) for i in range(count)]
    lines.append("threads: " + ", ".join(f"{n} {k}" for n, k in zip(names, kinds)))
    queues = [deque() for _ in range(MLFQ_LEVELS)]
    level, wake_at = [0] * count, [None] * count
    queues[0].extend(range(count))
    for step in range(24):
        roll, pause = rng.below(4), 1 + rng.below(3)
        for i in range(count):
            if wake_at[i] == step:
                wake_at[i] = None
                queues[level[i]].append(i)
        ready = [q for q in queues if q]
        if not ready:
            lines.append(f"step {step + 1}: nothing ready")
            continue
        who = ready[0].popleft()
        at = level[who]
        run = kinds[who] == "hog" or (kinds[who] == "mixed" and roll < 2)
        sleep = (kinds[who] == "interactive" and roll < 2) or (kinds[who] == "mixed" and roll == 2)
        quantum = MLFQ_BASE_QUANTUM << at
        if run and ticks_delivered + quantum > MLFQ_BOOST_TICKS - 1:
            run = False  # the test keeps clear of the boost
        if run:
            ticks_delivered += quantum
            level[who] = min(at + 1, MLFQ_LEVELS - 1)
            queues[level[who]].append(who)
            lines.append(f"step {step + 1}: {names[who]} (level {at}) ran {quantum} ticks and "
                         f"was preempted")
        elif sleep:
            wake_at[who] = step + 1 + pause  # it misses `pause` picks
            lines.append(f"step {step + 1}: {names[who]} (level {at}) went to sleep for {pause} "
                         f"{plural(pause, 'step')}")
        else:
            queues[at].append(who)
            lines.append(f"step {step + 1}: {names[who]} (level {at}) yielded")
    return lines + ["levels at the end: " + " ".join(f"{n}={l}" for n, l in zip(names, level))]


IN_KERNEL = [
    KTest("threads_run_and_join", 8, "threads run and are joined; bad joins refused", 3.0,
          perturb=True),
    KTest("join_waits_for_exit", 6, "thread_join waits for the thread to finish", 3.0,
          perturb=True),
    KTest("rr_runs_in_order", 8, "round robin runs ready threads first in, first out", 3.0),
    KTest("rr_seeded_turns_follow_first_in_first_out", 6,
          "seeded threads that yield take turns exactly first in, first out", 3.0,
          rr_seeded_turns),
    KTest("rr_preempts_a_thread_that_never_yields", 9, "a thread that never yields is preempted", 3.0,
          perturb=True),
    KTest("rr_shares_the_cpu_fairly", 7, "two equal threads get comparable shares", 3.0),
    KTest("wait_queue_no_lost_wakeups", 10, "500 hand-overs through a wait queue, none lost", 3.0,
          perturb=True),
    KTest("mutex_counts_exactly", 10, "a mutex keeps a shared counter exact", 3.0,
          perturb=True),
    KTest("semaphore_limits_concurrency", 8, "a semaphore of 2 admits exactly 2", 3.0,
          perturb=True),
    KTest("semaphores_pass_seeded_items_through_a_ring", 6,
          "seeded producers and consumers: every item arrives once", 3.0, semaphore_ring,
          perturb=True),
    KTest("mlfq_demotes_cpu_hogs", 8, "MLFQ demotes CPU hogs, keeps interactive threads on top", 3.0),
    KTest("mlfq_boost_prevents_starvation", 8, "MLFQ boosts so demoted threads do not starve", 3.0),
    KTest("mlfq_follows_a_seeded_schedule", 6, "MLFQ picks, quanta and demotions step by step", 3.0,
          mlfq_seeded_schedule),
]

assert sum(test.points for test in IN_KERNEL) == 100

# The challenge part (priority.c, and sync.c's calls into it): a priority
# scheduler with priority donation through mutexes. Every thread in these
# tests has a priority of its own, so the order is fixed by the rules alone
# and holds under perturbation too (except the round-robin share, which
# counts timer ticks).
CHALLENGE = [
    KTest("priority_runs_the_highest_first", 5,
          "the highest-priority ready thread runs; creating or lowering preempts", 3.0,
          perturb=True, part="challenge"),
    KTest("priority_equal_threads_take_turns", 4,
          "equal priorities take turns; a lower one waits", 3.0, part="challenge"),
    KTest("priority_donate_one", 6, "a mutex's waiters donate to its holder; undone on release",
          3.0, perturb=True, part="challenge"),
    KTest("priority_donate_multiple", 6, "a holder of several mutexes keeps the highest donation",
          3.0, perturb=True, part="challenge"),
    KTest("priority_donate_lower", 3, "lowering the base priority keeps a donation", 3.0,
          perturb=True, part="challenge"),
    KTest("priority_donate_chain", 7, "nested donation down a chain of 8 mutexes", 3.0,
          perturb=True, part="challenge"),
    KTest("priority_semaphore_wakes_the_highest_first", 5,
          "semaphore_up wakes the highest-priority waiter, which runs at once", 3.0,
          perturb=True, part="challenge"),
    KTest("priority_wait_queue_and_mutex_wake_the_highest_first", 4,
          "wait queues and mutexes wake the highest-priority waiter", 3.0, perturb=True,
          part="challenge"),
]

assert sum(test.points for test in CHALLENGE) == 40

IN_KERNEL += CHALLENGE


test_in_kernel = in_kernel_tests(IN_KERNEL)
