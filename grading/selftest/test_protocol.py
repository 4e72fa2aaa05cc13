"""The protocol parser and the verdict logic, on canned serial transcripts
(no kernel, no QEMU)."""
import glob
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade.integrity import KNOWN_KINDS  # noqa: E402
from keelgrade.protocol import FrameScanner, parse  # noqa: E402
from keelgrade import verdict as v  # noqa: E402
from keelgrade.verdict import judge_interaction, judge_run, judge_test  # noqa: E402

N = "5eed1234abcd9876"


class FakeMachine:
    """What the verdict logic reads from a machine (keelgrade/kernel_run.py)."""

    def __init__(self, ended="exit", stop_report="", exit_code=1, stderr="", elapsed=8.2):
        self.ended, self.stop_report, self.exit_code = ended, stop_report, exit_code
        self.elapsed, self._stderr = elapsed, stderr

    def stderr_text(self):
        return self._stderr


def transcript(*lines, nonce=N):
    return parse("\r\n".join(lines).encode(), nonce)


def frame(kind, text="", nonce=N):
    return f"@@keel:{nonce}:{kind}:{text}"


# A real run of the self-test kernel with keel.test=crash_panic.
PANIC_RUN = (
    "\r\n@@keel:5eed1234abcd9876:READY:QEMU direct boot (PVH)\r\n[test] 21 tests in this kernel\r\n"
    "\r\n@@keel:5eed1234abcd9876:BEGIN:crash_panic\r\n[test] crash_panic ...\r\n\r\n"
    "*** KERNEL PANIC: deliberate panic for the self-test (value 42)\r\n"
    "    at framework/tests/test_crash.c:12\r\nRegisters:\r\n"
    "  RSP ffffffff80122c30  RBP ffffffff80122db0  RFLAGS 00000082\r\n"
    "  CR0 0000000080010011  CR2 0000000000000000  CR3 0000000000229000  CR4 00000000000000a0\r\n"
    "Backtrace (most recent call first):\r\n"
    "  #1  0xffffffff8010d531 crash_helper_panics+0x31 (framework/tests/test_crash.c:12)\r\n"
    "  #2  0xffffffff8010d510 crash_helper_panics+0x10 (framework/tests/test_crash.c:13)\r\n"
    "      (the frame above repeats 1 more times: deep or endless recursion?)\r\n"
    "  #3  0xffffffff8010d54e ktest_fn_crash_panic+0xe (framework/tests/test_crash.c:19)\r\n"
    "  #4  0xffffffff8010d6c7 run_one+0x57 (labs/ktest.c:53)\r\n"
    "  #5  0xffffffff8010db4a ktest_main+0x2ea (labs/ktest.c:126)\r\n\r\n"
    "@@keel:5eed1234abcd9876:PANIC:deliberate panic for the self-test (value 42) "
    "(at framework/tests/test_crash.c:12)\r\n\r\n@@keel:5eed1234abcd9876:EXIT:2\r\n")

REGISTERS_AT_TRIPLE_FAULT = """Registers:
  RIP=ffffffff8010cf9a RFL=00000082 [--S----] CPL=0 II=0 A20=1 SMM=0 HLT=0
  IDT=     0000000000000000 00000000

Where the CPU was (most recent call first):
  #0  0xffffffff8010cf9a ktest_fn_crash_triple_fault (framework/tests/test_crash.c:57)
  #1  0xffffffff8010d187 run_one (labs/ktest.c:53)"""


# ---- the parser --------------------------------------------------------------------------------
def test_frames_need_the_nonce():
    t = transcript(frame("READY", "x"), frame("PASS", "t1", nonce="other"), "hello",
                   frame("DONE", "0 0"))
    assert t.ready and t.done == (0, 0)
    assert t.forged == 1
    assert t.result_of("t1") is None
    assert "hello" in t.free_text()
    assert "@@keel:other:PASS:t1" in t.free_text()  # kept as ordinary output


def test_a_frame_after_text_without_newline():
    t = transcript(frame("READY"), "via-console" + frame("FAIL", "a file.c:1: no"))
    assert t.result_of("a") == ("fail", "file.c:1: no")
    assert t.free_lines[-1] == "via-console"


def test_line_endings_and_numbers():
    t = parse(b"\r\n" + frame("DONE", "3 1").encode() + b"\r" + frame("EXIT", "1").encode() + b"\n",
              N)
    assert t.done == (3, 1) and t.exit_status == 1
    assert parse(b"", N).ready is False and parse(b"", N).exit_status is None
    assert transcript(frame("EXIT", "zero")).exit_status is None


def test_pass_and_fail_results():
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), frame("PASS", "a"),
                   frame("BEGIN", "b"), frame("FAIL", "b file.c:3: wrong value"),
                   frame("DONE", "1 1"), frame("EXIT", "1"))
    assert t.result_of("a") == ("pass", None)
    assert t.result_of("b") == ("fail", "file.c:3: wrong value")
    assert t.result_of("c") is None
    assert judge_test(FakeMachine(exit_code=3), t, "a").kind == v.PROTOCOL_VIOLATED  # b not asked
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), frame("PASS", "a"), frame("DONE", "1 0"),
                   frame("EXIT", "0"))
    assert judge_test(FakeMachine(exit_code=1), t, "a").kind == v.PASS
    t = transcript(frame("READY", "x"), frame("BEGIN", "b"), frame("FAIL", "b file.c:3: wrong value"),
                   frame("DONE", "0 1"), frame("EXIT", "1"))
    verdict = judge_test(FakeMachine(exit_code=3), t, "b")
    assert verdict.kind == v.FAIL and verdict.message == "file.c:3: wrong value"


def test_tail_is_the_last_30_free_lines():
    t = transcript(frame("READY"), *[f"line {i}" for i in range(100)], frame("EXIT", "0"))
    tail = t.tail().splitlines()
    assert len(tail) == 30 and tail[0] == "line 70" and tail[-1] == "line 99"


def test_scanner_finds_frames_split_across_reads():
    scanner = FrameScanner(N)
    data = ("noise\r\n" + frame("READY", "x") + "\r\n" + frame("EXIT", "0", nonce="bad") + "\r\n"
            + frame("EXIT", "0") + "\r\n").encode()
    found = []
    for i in range(0, len(data), 7):
        found += scanner.feed(data[i:i + 7])
    assert found == [("READY", "x"), ("EXIT", "0")]


# ---- verdicts --------------------------------------------------------------------------------
def test_forged_pass_is_not_a_pass():
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), frame("PASS", "a", nonce="forged"),
                   frame("EXIT", "0"))
    verdict = judge_test(FakeMachine(), t, "a")
    assert verdict.kind == v.EARLY_EXIT
    assert "lacked this run's secret nonce" in verdict.details


def test_panic_verdict_carries_the_report_and_backtrace():
    t = parse(PANIC_RUN.encode(), N)
    verdict = judge_test(FakeMachine(exit_code=5), t, "crash_panic")
    assert verdict.kind == v.PANIC
    assert verdict.message.startswith("during test 'crash_panic': the kernel panicked: deliberate")
    assert verdict.details.startswith("*** KERNEL PANIC: deliberate panic")
    assert "#3  0xffffffff8010d54e ktest_fn_crash_panic+0xe" in verdict.details
    assert "@@keel" not in verdict.details
    text = verdict.explain(t)
    assert text.splitlines()[0].startswith("[KERNEL PANIC]")
    # The report once: the serial output's tail shows only what came before it.
    assert text.count("#5  0xffffffff8010db4a ktest_main+0x2ea (labs/ktest.c:126)") == 1
    assert text.count("*** KERNEL PANIC") == 1 and text.count("Backtrace (most") == 1
    assert text.rstrip().endswith("Serial output before that report (last lines):\n"
                                  "  | [test] 21 tests in this kernel\n  | [test] crash_panic ...")


def test_exception_verdict():
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), "[test] a ...",
                   "*** CPU EXCEPTION 14: page fault (error code 0x2)",
                   "  faulting address (CR2): 0x0", "Backtrace (most recent call first):",
                   "  #0  0xffffffff8010c7a2 f+0x12 (t.c:36)",
                   frame("EXCEPTION", "page fault (vector 14, error code 0x2) at f+0x12"),
                   frame("EXIT", "3"))
    verdict = judge_test(FakeMachine(exit_code=7), t, "a")
    assert verdict.kind == v.EXCEPTION and "page fault (vector 14" in verdict.message
    assert verdict.details.startswith("*** CPU EXCEPTION 14") and "f+0x12 (t.c:36)" in verdict.details
    assert "[test] a ..." not in verdict.details


def test_crash_report_without_marker_falls_back_to_the_test_output():
    t = transcript(frame("READY"), frame("BEGIN", "a"), "something odd", frame("PANIC", "boom"),
                   frame("EXIT", "2"))
    assert judge_test(FakeMachine(exit_code=5), t, "a").details == "something odd"


def test_triple_fault_shows_the_cpu_state_at_the_reset():
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), "[test] a ...")
    verdict = judge_test(FakeMachine(ended="reset", stop_report=REGISTERS_AT_TRIPLE_FAULT,
                                     exit_code=0), t, "a")
    assert verdict.kind == v.TRIPLE_FAULT and "triple fault" in verdict.message
    assert "CPU state at the reset" in verdict.details
    assert "ktest_fn_crash_triple_fault (framework/tests/test_crash.c:57)" in verdict.details


def test_reboot_is_named_as_such():
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), "", "Keel: rebooting")
    verdict = judge_test(FakeMachine(ended="reset", stop_report="Registers:"), t, "a")
    assert verdict.kind == v.TRIPLE_FAULT and "kernel_reboot" in verdict.message


def test_timeout_is_a_hang_with_registers_and_backtrace():
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), "[test] a ...")
    report = "Registers:\n  RIP=ffffffff80101000\n\n  #0  0xffffffff80101000 spin (a.c:3)"
    verdict = judge_test(FakeMachine(ended="timeout", stop_report=report, exit_code=-9), t, "a")
    assert verdict.kind == v.HANG and "within 8 s" in verdict.message
    assert "spin (a.c:3)" in verdict.details
    assert verdict.explain(t).rstrip().endswith("[test] a ...")


def test_endless_output_is_a_hang_too():
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), *["spam"] * 50)
    verdict = judge_test(FakeMachine(ended="flood", stop_report="Registers:"), t, "a")
    assert verdict.kind == v.HANG and "printing without end" in verdict.message


def test_endless_output_says_what_it_kept_printing():
    """The round of lines that repeats (numbers that count still repeat), how
    often, the line before the loop and the test's last answer; the last
    line, cut where the grader stopped keeping output, is not judged."""
    loop = [f"tick {i}\nstill waiting for 0x{0x4000 + i:x}" for i in range(40)]
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), "[test] a ...",
                   frame("ANSWER", "step 3: map 0x1000"), "about to wait", *loop, "tick 4")
    verdict = judge_test(FakeMachine(ended="flood", stop_report="Registers:"), t, "a")
    assert verdict.kind == v.HANG, verdict.message
    for words in ("during test 'a'", "these 2 lines over and over (40 times",
                  "'tick 39' / 'still waiting for 0x4027'", "just after 'about to wait'",
                  "last answer a test gave: 'step 3: map 0x1000'"):
        assert words in verdict.message, verdict.message


def test_no_ready_line_means_the_kernel_never_reached_the_framework():
    for ended in ("timeout", "reset", "exit"):
        verdict = judge_test(FakeMachine(ended=ended, stop_report="Registers: RIP=0"),
                             transcript("garbage from early boot"), "a")
        assert verdict.kind == v.NO_START, ended
        assert "no READY line" in verdict.message


def test_qemu_that_cannot_start_the_kernel():
    stderr = "qemu-system-x86_64: Error loading uncompressed kernel without PVH ELF Note"
    verdict = judge_test(FakeMachine(ended="exit", exit_code=1, stderr=stderr), transcript(""), "a")
    assert verdict.kind == v.QEMU_ERROR and stderr in verdict.details


def test_expected_output_must_appear_outside_frames():
    lines = [frame("READY", "x"), frame("BEGIN", "a"), frame("EXPECT", "wire-123"),
             frame("PASS", "a"), frame("DONE", "1 0"), frame("EXIT", "0")]
    verdict = judge_test(FakeMachine(), transcript(*lines), "a")
    assert verdict.kind == v.MISSING_OUTPUT and "'wire-123'" in verdict.message
    # Anywhere in the run, even before the EXPECT frame and mid-line:
    assert judge_test(FakeMachine(), transcript("xxwire-123yy", *lines), "a").kind == v.PASS
    # A forged frame holding the text is ordinary output (the nonce is secret), fine too;
    # but the text inside a real frame does not count:
    lines.insert(2, frame("ANSWER", "wire-123"))
    assert judge_test(FakeMachine(), transcript(*lines), "a").kind == v.MISSING_OUTPUT


def test_unknown_test():
    t = transcript(frame("READY", "x"), frame("FAIL", "nosuch no such test in this kernel"),
                   frame("DONE", "0 1"), frame("EXIT", "1"))
    verdict = judge_test(FakeMachine(exit_code=3), t, "nosuch")
    assert verdict.kind == v.NOT_FOUND and "'nosuch'" in verdict.message


def test_kernel_that_stops_in_the_middle_of_a_test():
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), frame("EXIT", "0"))
    assert judge_test(FakeMachine(), t, "a").kind == v.EARLY_EXIT
    t = transcript(frame("READY", "x"), frame("DONE", "0 0"), frame("EXIT", "0"))
    verdict = judge_test(FakeMachine(), t, "a")
    assert verdict.kind == v.EARLY_EXIT and "without running test 'a'" in verdict.message


def test_a_pass_followed_by_a_panic_is_a_panic():
    t = transcript(frame("READY", "x"), frame("BEGIN", "a"), frame("PASS", "a"),
                   "*** KERNEL PANIC: later", frame("PANIC", "later"), frame("EXIT", "2"))
    assert judge_test(FakeMachine(exit_code=5), t, "a").kind == v.PANIC


def test_normal_power_off_is_no_verdict():
    t = transcript(frame("READY", "x"), frame("EXIT", "0"))
    assert judge_run(FakeMachine(), t) is None


def test_interaction_verdicts():
    running = judge_interaction(FakeMachine(ended="timeout", stop_report="#0 readline (m.c:9)"),
                                transcript(frame("READY"), "K> "), "typing help should list")
    assert running.kind == v.WRONG_OUTPUT and "still running" in running.message
    assert "readline (m.c:9)" in running.details
    off = judge_interaction(FakeMachine(), transcript(frame("READY"), "bye", frame("EXIT", "0")),
                            "the prompt should appear")
    assert off.kind == v.WRONG_OUTPUT and "powered off" in off.message
    reset = judge_interaction(FakeMachine(ended="reset", stop_report="Registers:"),
                              transcript(frame("READY"), "K> help"), "help should list")
    assert reset.kind == v.TRIPLE_FAULT and reset.message.startswith("help should list; instead")


def test_explain_names_the_rerun_command_and_the_tail():
    t = transcript(frame("READY"), frame("BEGIN", "a"), "hello there", frame("FAIL", "a nope"),
                   frame("EXIT", "1"))
    text = judge_test(FakeMachine(exit_code=3), t, "a").explain(t, rerun="make qemu-direct LAB=x")
    assert "To watch this run yourself: make qemu-direct LAB=x" in text
    assert text.rstrip().endswith("hello there")
    assert "(nothing at all)" in v.Verdict(v.HANG, "x").explain(transcript(frame("READY")))


# ---- protocol integrity: a story that does not add up earns nothing -----------------------------
GOOD_RUN = [frame("READY", "x"), frame("BEGIN", "a"), frame("ANSWER", "42"), frame("PASS", "a"),
            frame("DONE", "1 0"), frame("EXIT", "0")]

VIOLATIONS = {
    "a PASS with no READY": [frame("BEGIN", "a"), frame("PASS", "a"), frame("DONE", "1 0"),
                             frame("EXIT", "0")],
    "READY twice": [frame("READY", "x")] + GOOD_RUN,
    "a result without its BEGIN": [frame("READY", "x"), frame("PASS", "a"), frame("DONE", "1 0"),
                                   frame("EXIT", "0")],
    "two results for one test": GOOD_RUN[:3] + [frame("PASS", "a"), frame("FAIL", "a x.c:1: no"),
                                                frame("DONE", "1 1"), frame("EXIT", "1")],
    "a fail then a pass": GOOD_RUN[:2] + [frame("FAIL", "a x.c:1: no"), frame("PASS", "a"),
                                          frame("DONE", "1 0"), frame("EXIT", "0")],
    "a result for another test": GOOD_RUN[:2] + [frame("PASS", "b"), frame("DONE", "1 0"),
                                                 frame("EXIT", "0")],
    "a test nobody asked for": [frame("READY", "x"), frame("BEGIN", "b"), frame("PASS", "b"),
                                frame("DONE", "1 0"), frame("EXIT", "0")],
    "DONE counts that disagree": GOOD_RUN[:4] + [frame("DONE", "2 0"), frame("EXIT", "0")],
    "DONE with a failure, EXIT 0": GOOD_RUN[:2] + [frame("FAIL", "a x.c:1: no"),
                                                   frame("DONE", "0 1"), frame("EXIT", "0")],
    "frames after EXIT": GOOD_RUN + [frame("PASS", "a")],
    "a kind the framework never writes": GOOD_RUN[:2] + [frame("SCORE", "100")] + GOOD_RUN[2:],
    "an ANSWER outside any test": GOOD_RUN[:1] + [frame("ANSWER", "42")] + GOOD_RUN[1:],
    "a PANIC that exits 0": GOOD_RUN[:2] + [frame("PANIC", "x"), frame("EXIT", "0")],
}


@pytest.mark.parametrize("name", sorted(VIOLATIONS))
def test_inconsistent_stories_are_protocol_violations(name):
    verdict = judge_test(FakeMachine(exit_code=1), transcript(*VIOLATIONS[name]), "a")
    assert verdict.kind == v.PROTOCOL_VIOLATED, (name, verdict)
    assert "does not add up" in verdict.message


def test_the_machine_must_end_as_the_exit_frame_says():
    assert judge_test(FakeMachine(exit_code=1), transcript(*GOOD_RUN), "a").kind == v.PASS
    for machine in (FakeMachine(exit_code=3), FakeMachine(exit_code=-9), FakeMachine(ended="stuck")):
        verdict = judge_test(machine, transcript(*GOOD_RUN), "a")
        assert verdict.kind == v.PROTOCOL_VIOLATED, (machine.ended, machine.exit_code, verdict)


def test_a_run_without_tests_has_no_test_frames():
    forged = transcript(frame("READY", "x"), "K> ", frame("PASS", "a"), frame("EXIT", "0"))
    verdict = judge_interaction(FakeMachine(ended="timeout"), forged, "the prompt should appear")
    assert verdict.kind == v.PROTOCOL_VIOLATED


def test_consistent_crashes_are_not_violations():
    early = transcript("boot", "*** KERNEL PANIC: no memory map", frame("PANIC", "no memory map"),
                       frame("EXIT", "2"))
    assert judge_test(FakeMachine(exit_code=5), early, "a").kind == v.PANIC
    hang = transcript(frame("READY", "x"), frame("BEGIN", "a"), frame("ANSWER", "1"))
    assert judge_test(FakeMachine(ended="timeout", exit_code=-9), hang, "a").kind == v.HANG


def test_every_frame_kind_is_documented():
    """The kinds the kernel writes, the kinds the grader knows, and the lists
    in <keel/protocol.h> and docs/framework.md are the same."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    written = set()
    for path in glob.glob(os.path.join(root, "framework/**/*.c"), recursive=True) + \
            glob.glob(os.path.join(root, "labs/*.c")):
        with open(path) as f:
            written |= set(re.findall(r'protocol_emit\("([A-Z]+)"', f.read()))
    with open(os.path.join(root, "framework/include/keel/protocol.h")) as f:
        in_header = set(re.findall(r"^ \*   ([A-Z]+) ", f.read(), re.M))
    with open(os.path.join(root, "docs/framework.md")) as f:
        section = f.read().split("## The grader protocol")[1].split("\n## ")[0].split("Kinds:")[1]
        in_docs = set(re.findall(r"`([A-Z]{3,})[ `]", section))
    assert written == set(KNOWN_KINDS) == in_header == in_docs, (written, in_header, in_docs)
