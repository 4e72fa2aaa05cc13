"""Does a run's protocol tell one consistent story?

Only the framework and the test runner write frames, and only they know the
run's nonce, but the grader does not take that on trust: the frames of a run
must fit together the way the runner (labs/ktest.c) and the framework write
them. A story that does not add up earns the verdict PROTOCOL VIOLATED and no
points, whatever it claims.

The story of a run with keel.test=NAMES:

    READY                        the framework is up (exactly once, first)
    BEGIN t                      for a requested test, each at most once
      EXPECT / ANSWER / BENCH    what test t reports while it runs
    PASS t  or  FAIL t reason    the one result of t, right after its BEGIN
    ...
    FAIL n no such test ...      requested names the kernel does not have
    DONE passed failed           the counts of the results above
    EXIT status                  0 after DONE with no failure, 1 with one

PANIC or EXCEPTION may end the story at any point (EXIT 2 or 3 follows). A
run without keel.test (the lab kernel's own run) has no test frames at all.
Frames may stop anywhere (a hang, a reset): what is missing is judged by the
verdicts; here only frames that contradict each other count. And the process
must end the way the EXIT frame says (QEMU and the Linux platform both exit
with (status << 1) | 1)."""

TEST_KINDS = ("BEGIN", "PASS", "FAIL", "DONE")
IN_TEST_KINDS = ("EXPECT", "ANSWER", "BENCH")
KNOWN_KINDS = ("READY", "EXIT", "PANIC", "EXCEPTION", "TEST") + TEST_KINDS + IN_TEST_KINDS
EXIT_AFTER_CRASH = {"PANIC": 2, "EXCEPTION": 3}
NO_SUCH_TEST = "no such test in this kernel"


def story_problem(frames, requested=None, listing=False, exit_code=None, ended=None):
    """None if the frames [(kind, text)] tell a consistent story, else a
    sentence saying what does not fit. `requested`: the set of test names the
    run was asked for (None: any, as for keel.test=all; an empty set: a run
    without tests). `exit_code`/`ended`: how the process ended (kernel_run.KernelRun)."""
    if not frames:
        return None
    problem = _frames_problem(frames, requested, listing)
    if problem:
        return problem
    exits = [text for kind, text in frames if kind == "EXIT"]
    if exits and ended == "stuck":
        return (f"the kernel reported that it powered off (EXIT {exits[0]}) but the machine "
                "kept running")
    if exits and ended == "exit" and exit_code is not None:
        status = _number(exits[0])
        if status is not None and exit_code != ((status << 1) | 1) & 0xFF:
            return (f"the kernel reported EXIT {status}, but the machine ended with exit code "
                    f"{exit_code} (EXIT {status} gives {((status << 1) | 1) & 0xFF})")
    return None


def _number(text):
    try:
        return int(text.split()[0])
    except (IndexError, ValueError):
        return None


def _frames_problem(frames, requested, listing):
    began, results = set(), []
    current = None          # the test between its BEGIN and its result
    ready = done = ended_by = None
    for index, (kind, text) in enumerate(frames):
        where = f"frame {index + 1} ({kind} {text[:60]})".strip()
        if kind not in KNOWN_KINDS:
            return f"{where}: the framework never writes a frame of this kind"
        if ended_by is not None and not (kind == "EXIT" and ended_by in EXIT_AFTER_CRASH):
            return f"{where} came after the run had ended with {ended_by}"
        if kind == "EXIT":
            status = _number(text)
            if status is None:
                return f"{where}: an EXIT frame without a status"
            if ended_by in EXIT_AFTER_CRASH and status != EXIT_AFTER_CRASH[ended_by]:
                return f"{where}: after {ended_by} the framework exits with status " \
                       f"{EXIT_AFTER_CRASH[ended_by]}"
            if done is not None and ended_by is None:
                wanted = 1 if done[1] else 0
                if status != wanted:
                    return f"{where}: after DONE {done[0]} {done[1]} the exit status is {wanted}"
            ended_by = "EXIT"
            continue
        if kind in EXIT_AFTER_CRASH:
            ended_by = kind
            continue
        if kind == "READY":
            if ready is not None or index > 0:
                return f"{where}: READY must be the first frame, and only once"
            ready = index
            continue
        if ready is None:
            return f"{where} came before READY (before the framework was up)"
        if kind == "TEST":
            if not listing:
                return f"{where}: tests are listed only with keel.test=list"
            continue
        if listing or requested == set():
            if kind in TEST_KINDS + IN_TEST_KINDS:
                return f"{where}: this run did not ask for any test"
        if done is not None:
            return f"{where} came after DONE"
        if kind == "BEGIN":
            if current is not None:
                return f"{where}: test {current} began and never ended"
            if requested is not None and text not in requested:
                return f"{where}: test {text} was not asked for"
            if text in began:
                return f"{where}: test {text} began twice"
            began.add(text)
            current = text
        elif kind in IN_TEST_KINDS:
            if current is None:
                return f"{where} came outside any test"
        elif kind in ("PASS", "FAIL"):
            name, _, rest = text.partition(" ")
            if current is None:
                unknown = kind == "FAIL" and rest.strip() == NO_SUCH_TEST and name not in began \
                    and (requested is None or name in requested)
                if not unknown:
                    return f"{where}: a result for {name} without its BEGIN"
            elif name != current:
                return f"{where}: a result for {name} while {current} was running"
            if any(n == name for n, _ in results):
                return f"{where}: a second result for {name}"
            results.append((name, kind))
            current = None
        elif kind == "DONE":
            counts = text.split()
            try:
                passed, failed = int(counts[0]), int(counts[1])
            except (IndexError, ValueError):
                return f"{where}: DONE without its two counts"
            if current is not None:
                return f"{where}: DONE while test {current} was still running"
            real = (sum(k == "PASS" for _, k in results), sum(k == "FAIL" for _, k in results))
            if (passed, failed) != real:
                return f"{where}: DONE counts {passed} passed and {failed} failed, but the " \
                       f"results say {real[0]} and {real[1]}"
            done = (passed, failed)
    return None
