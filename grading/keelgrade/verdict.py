"""From what a kernel run showed to a verdict a student can act on."""
from dataclasses import dataclass

PASS = "pass"
FAIL = "test failed"
PANIC = "kernel panic"
EXCEPTION = "CPU exception"
TRIPLE_FAULT = "triple fault or reset"
HANG = "hang"
NO_START = "kernel did not start"
NOT_FOUND = "no such test"
BUILD = "build failed"
MISSING_OUTPUT = "expected output missing"
EARLY_EXIT = "kernel stopped early"


@dataclass
class Verdict:
    kind: str
    message: str
    details: str = ""

    @property
    def passed(self):
        return self.kind == PASS

    def explain(self, transcript=None):
        parts = [f"[{self.kind.upper()}] {self.message}"]
        if self.details:
            parts += ["", self.details]
        if transcript is not None and self.kind != PASS:
            tail = transcript.tail(30)
            parts += ["", "Last lines of serial output:", tail or "  (nothing at all)"]
        return "\n".join(parts)


def judge_run(machine, transcript):
    """A verdict for how the run as a whole ended, or None if it ended normally."""
    if transcript.first("PANIC") is not None:
        return Verdict(PANIC, f"the kernel panicked: {transcript.first('PANIC')}",
                       transcript.report_block("*** KERNEL PANIC"))
    if transcript.first("EXCEPTION") is not None:
        return Verdict(EXCEPTION, f"the CPU raised an exception the kernel did not handle: "
                       f"{transcript.first('EXCEPTION')}",
                       transcript.report_block("*** CPU EXCEPTION"))
    if machine.timed_out:
        seconds = round(machine.elapsed)
        return Verdict(HANG, f"the kernel stopped making progress: nothing ended the run within "
                       f"{seconds} s (an endless loop, or waiting for something that never "
                       f"happens?)", machine.hang_report)
    if transcript.exit_status is None:
        if "Keel: rebooting" in transcript.text:
            return Verdict(TRIPLE_FAULT, "the kernel rebooted the machine (kernel_reboot) "
                           "instead of finishing", machine.reset_report())
        what = ("after the framework started" if transcript.ready
                else "before the framework could print anything")
        return Verdict(TRIPLE_FAULT, f"the machine reset {what}: a triple fault (an exception "
                       f"while the CPU could not deliver exceptions, e.g. a broken interrupt "
                       f"table or stack)", "CPU state at the reset:\n" + machine.reset_report())
    if not transcript.ready:
        return Verdict(NO_START, "the kernel never reached the framework (no READY line)")
    return None


def judge_test(machine, transcript, test):
    """The verdict for in-kernel test `test` from a finished run."""
    result = transcript.result_of(test)
    if result is not None and result[0] == "fail":
        if result[1] and "no such test" in result[1]:
            return Verdict(NOT_FOUND, f"the kernel has no test called '{test}'")
        return Verdict(FAIL, result[1] or "(no reason given)")
    if result is None:
        ended = judge_run(machine, transcript)
        if ended:
            if transcript.began(test):
                ended.message = f"during test '{test}': {ended.message}"
            return ended
        return Verdict(EARLY_EXIT, f"the kernel powered off without finishing test '{test}'")
    missing = [text for text in transcript.kinds("EXPECT") if text not in transcript.free_text()]
    if missing:
        return Verdict(MISSING_OUTPUT, "the test printed through your driver, but this text never "
                       "arrived on the serial line: " + ", ".join(repr(m) for m in missing))
    ended = judge_run(machine, transcript)
    if ended and ended.kind != NO_START:
        return ended
    return Verdict(PASS, "passed")
