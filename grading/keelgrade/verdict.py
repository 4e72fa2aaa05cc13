"""From what a kernel run showed to a verdict a student can act on.

A verdict has a kind (one of the constants below), a one-line message and
details (a crash report, registers and backtrace, compiler errors).
Verdict.explain() adds the last lines of serial output, so every failure ends
with what the student would have seen on the console."""
from dataclasses import dataclass

from .clues import printing_loop
from .integrity import story_problem
from .protocol import EXCEPTION_MARKER, PANIC_MARKER
from .seeded import first_difference
from .text import clip, printable, quoted

PASS = "pass"
FAIL = "test failed"
WRONG_OUTPUT = "wrong output"
PANIC = "kernel panic"
EXCEPTION = "CPU exception"
TRIPLE_FAULT = "triple fault or reset"
HANG = "hang"
NO_START = "kernel never reached the framework"
NOT_FOUND = "no such test"
BUILD = "build failed"
MISSING_OUTPUT = "expected output missing"
EARLY_EXIT = "kernel stopped early"
QEMU_ERROR = "QEMU could not run the kernel"
WRONG_ANSWER = "wrong answer"
PROTOCOL_VIOLATED = "protocol violated"
REFUSED = "code refused"
REFERENCE_CODE = "reference code submitted"

TAIL_LINES = 30
MAX_EXPLANATION = 16000   # characters: a crash report and the tail fit easily


@dataclass
class Verdict:
    kind: str
    message: str
    details: str = ""

    @property
    def passed(self):
        return self.kind == PASS

    def explain(self, transcript=None, rerun=None, replay=None, debug=None):
        """The full text for a student: the verdict, its details, how to see
        the run for yourself (`rerun`), debug it (`debug`, see
        commands.debug_command) and go back in time in its recording
        (`replay`, see commands.replay_hint), and the last lines of serial
        output."""
        parts = [f"[{self.kind.upper()}] {self.message}"]
        if self.details:
            parts += ["", self.details.rstrip()]
        if rerun and not self.passed:
            parts += ["", f"To watch this run yourself: {rerun}"]
        if debug and not self.passed:
            parts += [f"To debug this test in gdb, stopped at its first line: {debug}"]
        if replay and not self.passed:
            parts += [replay]
        if transcript is not None and not self.passed:
            tail = transcript.tail(TAIL_LINES).splitlines()
            before = _before_report(tail, self.details.splitlines())
            if len(before) < len(tail):  # the details above are the rest: not twice
                if before:
                    parts += ["", "Serial output before that report (last lines):",
                              quoted(before)]
            else:
                parts += ["", f"Last lines of serial output (up to {TAIL_LINES}):",
                          quoted(tail) if tail else "  (nothing at all)"]
        return clip(printable("\n".join(parts)), MAX_EXPLANATION, "report")


def _before_report(tail, report):
    """The lines of `tail` before the crash report it ends with, when
    `report` (a verdict's details) is that report, copied from the serial
    output: the tail from some line on is a piece of it (from its first line,
    or anywhere in it if the tail begins inside it). Else all of `tail`."""
    for start in range(len(tail)):
        rest = tail[start:]
        for at in (range(len(report)) if start == 0 else (0,)):
            if report[at:at + len(rest)] == rest:
                return tail[:start]
    return tail


def _ended(machine):
    """How the run ended (see kernel_run.KernelRun.ended); fakes may set timed_out."""
    ended = getattr(machine, "ended", None)
    if ended is None and getattr(machine, "timed_out", False):
        ended = "timeout"
    return ended


def _stop_report(machine):
    return getattr(machine, "stop_report", "") or getattr(machine, "hang_report", "") or ""


def _stderr(machine):
    get = getattr(machine, "stderr_text", None)
    return get() if callable(get) else ""


def judge_run(machine, transcript):
    """A verdict for how the run as a whole ended, or None if the kernel
    powered off normally through kernel_power_off (an EXIT frame)."""
    if transcript.first("PANIC") is not None:
        return Verdict(PANIC, f"the kernel panicked: {transcript.first('PANIC')}",
                       transcript.report_block(PANIC_MARKER, "PANIC"))
    if transcript.first("EXCEPTION") is not None:
        return Verdict(EXCEPTION, "the CPU raised an exception that the kernel could not handle: "
                       f"{transcript.first('EXCEPTION')}",
                       transcript.report_block(EXCEPTION_MARKER, "EXCEPTION"))
    ended = _ended(machine)
    report = _stop_report(machine)
    seconds = round(getattr(machine, "elapsed", 0) or 0)
    exit_code = getattr(machine, "exit_code", None)
    if ended == "exit" and not transcript.frames and exit_code not in (None, 0) \
            and (exit_code % 2 == 0 or _stderr(machine)):
        return Verdict(QEMU_ERROR, f"QEMU stopped with exit code {exit_code} before the kernel "
                       "said anything", _stderr(machine) or "(QEMU printed no error message)")
    if not transcript.ready:
        how = {
            "timeout": f"it was still running after {seconds} s without getting there "
                       "(an endless loop or a wait in early boot?)",
            "flood": "it printed endlessly before getting there",
            "reset": "the machine reset first (a triple fault during boot)",
            "shutdown": "the machine shut down first",
        }.get(ended, "the machine stopped first")
        details = report if report else _stderr(machine)
        return Verdict(NO_START, "the kernel never reached the framework's start-up message "
                       f"(no READY line): {how}",
                       ("CPU state when it was stopped:\n" + details) if report else details)
    if ended == "timeout":
        return Verdict(HANG, f"the kernel hung (it stopped making progress): nothing ended the run "
                       f"within {seconds} s (an "
                       "endless loop, or waiting for something that never happens?). This is "
                       "where the CPU was when the grader stopped it:", report)
    if ended == "flood":
        loop = printing_loop(transcript, getattr(machine, "kernel_elf", None))
        return Verdict(HANG, "the kernel kept printing without end (more than 1 MiB of output, "
                       "which the grader keeps no more of: an endless loop that prints?)"
                       + (f": {loop}" if loop else "") + ". "
                       "This is where the CPU was when the grader stopped it:", report)
    if ended == "reset":
        if "Keel: rebooting" in transcript.text:
            return Verdict(TRIPLE_FAULT, "the kernel rebooted the machine (kernel_reboot) instead "
                           "of finishing", "CPU state at the reset:\n" + report)
        return Verdict(TRIPLE_FAULT, "the machine reset: a triple fault (an exception while the CPU "
                       "could not deliver exceptions, e.g. a broken interrupt table or stack)",
                       "CPU state at the reset:\n" + report)
    if ended == "shutdown":
        return Verdict(EARLY_EXIT, "the machine shut down without the kernel reporting how the run "
                       "ended", report)
    if transcript.exit_status is None:
        if ended == "stuck":
            return None
        status = f" (status {exit_code >> 1})" if exit_code and exit_code % 2 else ""
        return Verdict(EARLY_EXIT, f"QEMU exited{status} without the kernel reporting how the run "
                       "ended (was isa-debug-exit written to directly?)", _stderr(machine))
    return None


def judge_protocol(machine, transcript, requested):
    """PROTOCOL VIOLATED if the run's frames do not tell one consistent story
    (see integrity.py), else None. `requested`: the test names asked for."""
    problem = story_problem(transcript.frames, requested, exit_code=getattr(machine, "exit_code", None),
                            ended=_ended(machine))
    if problem is None:
        return None
    return Verdict(PROTOCOL_VIOLATED, "the grader protocol of this run does not add up, so none "
                   f"of it counts: {problem}",
                   "Only the framework and the test runner write protocol frames (lines starting "
                   "with @@keel:). If your code prints or changes them, or ends the run in a way "
                   "the framework never would, the run is worth nothing.")


def judge_test(machine, transcript, test, requested=None):
    """The verdict for in-kernel test `test` from a finished run that was
    asked for the tests `requested` (by default just `test`)."""
    verdict = judge_protocol(machine, transcript, requested or {test}) or \
        _judge_test(machine, transcript, test)
    if transcript.forged and not verdict.passed:
        note = (f"({transcript.forged} line(s) looked like grader messages but lacked this run's "
                "secret nonce, so they were ignored: only the framework's own reports count.)")
        verdict.details = f"{verdict.details}\n\n{note}".strip()
    return verdict


def _judge_test(machine, transcript, test):
    result = transcript.result_of(test)
    if result is not None and result[0] == "fail":
        reason = result[1] or "(no reason given)"
        if "no such test" in reason and not transcript.began(test):
            return Verdict(NOT_FOUND, f"the kernel has no test called '{test}' (is "
                           f"{test} still defined with KTEST in the lab's tests/ directory, and "
                           "is that file built?)")
        return Verdict(FAIL, reason)
    if result is None:
        ended = judge_run(machine, transcript)
        if ended:
            if transcript.began(test):
                ended.message = f"during test '{test}': {ended.message}"
            return ended
        if not transcript.began(test):
            return Verdict(EARLY_EXIT, f"the kernel finished without running test '{test}'")
        return Verdict(EARLY_EXIT, f"the kernel powered off in the middle of test '{test}'")
    missing = transcript.expected_missing()
    if missing:
        return Verdict(MISSING_OUTPUT, "the test sent text through your driver, but it never "
                       "arrived on the serial line: " + ", ".join(repr(m) for m in missing))
    ended = judge_run(machine, transcript)
    if ended and ended.kind != NO_START:
        return ended
    return Verdict(PASS, "passed")


def refusal_verdict(error):
    """The verdict for lab code that keelgrade/rules.py refused (a
    build.CodeRefused): every test gets it, worth nothing."""
    lines = [l.strip() for l in str(error).splitlines() if l.strip() and not l.startswith("***")]
    kind = REFERENCE_CODE if getattr(error, "reference_code", False) else REFUSED
    return Verdict(kind, "the graders refuse to run this lab code, so no test ran: "
                   + (lines[0] if lines else "(no reason given)"),
                   "\n".join(lines[1:]) + ("\n\n" if len(lines) > 1 else "") +
                   "What lab code may contain, and why, is in grading/README.md "
                   "(\"What lab code may contain\").")


# How the test runner's leak check (framework/core/leak.c) starts a test's
# failure: it runs after a test whose own checks all passed.
LEAK_PREFIX = "memory leak:"


def ran_to_the_end(verdict):
    """Whether the test's own code ran to its end: it passed, or only the
    leak check after it failed it (every answer was given)."""
    return verdict.passed or (verdict.kind == FAIL and verdict.message.startswith(LEAK_PREFIX))


def judge_answers(verdict, transcript, test, seed, expected):
    """A host-checked test (keelgrade/seeded.py): the run's verdict, unless it
    ran to the end but the kernel's answers differ from `expected`, the lines
    the grader computed for `seed` (a wrong answer comes before a leak)."""
    if not ran_to_the_end(verdict):
        return verdict
    got = transcript.answers(test)
    difference = first_difference(got, [line.strip() for line in expected])
    if difference is None:
        return verdict
    line, answered, wanted = difference
    shown = "\n".join(f"  {i + 1:3}  {text}" for i, text in
                      enumerate(got[max(0, line - 4):line], start=max(0, line - 4)))
    return Verdict(WRONG_ANSWER, f"the test ran to the end, but answer {line} of {len(expected)} "
                   f"is wrong for this run's seed {seed}: the kernel said "
                   f"{answered!r} where the grader computed {wanted!r}" if answered is not None
                   else f"the test ran to the end, but gave only {len(got)} of the {len(expected)} "
                   f"answers the grader expected for this run's seed {seed} (the next one is "
                   f"{wanted!r})",
                   "\n\n".join(part for part in (
                       ("The kernel's answers up to there:\n" + shown) if shown else "",
                       f"The test also ended with a {verdict.message}" if not verdict.passed
                       else "") if part))


def judge_interaction(machine, transcript, expected):
    """The verdict when an end-to-end test did not see `expected` (a
    sentence saying what should have happened). The machine must have been
    stopped already (Machine.stop keeps the CPU state of a live one)."""
    violated = judge_protocol(machine, transcript, set())
    if violated:
        return violated
    ended = judge_run(machine, transcript)
    if ended is not None and _ended(machine) != "timeout":
        ended.message = f"{expected}; instead {ended.message}"
        return ended
    if _ended(machine) == "timeout":
        seconds = round(getattr(machine, "elapsed", 0) or 0)
        return Verdict(WRONG_OUTPUT, f"{expected}. That did not happen: after {seconds} s the "
                       "kernel was still running, and this is where the CPU was:",
                       _stop_report(machine))
    return Verdict(WRONG_OUTPUT, f"{expected}; instead the kernel powered off "
                   f"(exit status {transcript.exit_status})")
