"""The lab (or kernel) under test: built once, booted once per test."""
import pytest

from . import calibration
from .build import BuildError, CodeRefused, build_kernel
from .runner import QemuMissing, boot, start_machine
from .seeded import new_seed
from .verdict import judge_answers, judge_interaction, judge_test, refusal_verdict


class Lab:
    """The lab being graded: builds its kernel once and boots it per test."""

    def __init__(self, root, name, solution, checked, platform="pc"):
        self.root, self.name, self.solution, self.checked = root, name, solution, checked
        self.platform = platform
        self._kernel = None
        self._build_error = None

    @property
    def kernel(self):
        if self._kernel is None and self._build_error is None:
            try:
                self._kernel = build_kernel(self.root, self.name, self.solution, self.checked,
                                            self.platform)
            except CodeRefused as error:
                self._build_error = refusal_verdict(error).explain()
            except BuildError as error:
                self._build_error = str(error)
        if self._build_error:
            pytest.fail(self._build_error, pytrace=False)
        return self._kernel

    def timeout(self, multiplier=1.0):
        return calibration.timeout_for(
            calibration.boot_seconds(self.root, self.platform), multiplier)

    def run_ktest(self, name, workdir, multiplier=1.0, cmdline=None):
        """Boot with keel.test=name; return (verdict, transcript, machine)."""
        elf = self.kernel.elf
        try:
            machine = boot(elf, cmdline or f"keel.test={name}", workdir, self.timeout(multiplier))
        except QemuMissing as error:
            missing = str(error)
        else:
            missing = None
        if missing:
            pytest.fail(missing, pytrace=False)
        transcript = machine.transcript()
        return judge_test(machine, transcript, name), transcript, machine

    def rerun_hint(self, cmdline=""):
        """The command that boots the same kernel for a student to watch."""
        options = f"LAB={self.name}" + (" SOLUTION=1" if self.solution else "")
        if self.platform == "linux":
            return f"make linux {options}" + (f" CMDLINE='{cmdline}'" if cmdline else "") + \
                " (quit with Ctrl-C)"
        options += " CHECKED=1" if self.checked else ""
        return f"make qemu-direct {options}" + (f" CMDLINE='{cmdline}'" if cmdline else "") + \
            " (quit QEMU with Ctrl-A then X)"

    def check_ktest(self, name, workdir, multiplier=1.0, expect=None):
        """Run in-kernel test `name` and fail the pytest test with the verdict
        unless it passed. With `expect` (a host-checked test), the run gets a
        fresh seed and its answers must be expect(seed)."""
        cmdline = f"keel.test={name}"
        if expect is not None:
            seed = new_seed()
            cmdline += f" keel.seed={seed}"
        verdict, transcript, _ = self.run_ktest(name, workdir, multiplier, cmdline)
        if expect is not None:
            verdict = judge_answers(verdict, transcript, name, seed, expect(seed))
        if not verdict.passed:
            pytest.fail(verdict.explain(transcript, self.rerun_hint(cmdline)), pytrace=False)

    def start(self, workdir, cmdline=""):
        """Boot the lab kernel normally; returns a Machine (a context manager)."""
        elf = self.kernel.elf
        try:
            return start_machine(elf, cmdline, workdir)
        except QemuMissing as error:
            missing = str(error)
        pytest.fail(missing, pytrace=False)

    # ---- end-to-end tests: talking to the running kernel over serial -----------------
    def fail_interaction(self, machine, expected):
        """Fail the test: `expected` (a sentence) did not happen. Stops the
        machine, keeping the CPU state if it was still running."""
        machine.stop("timeout")
        transcript = machine.transcript()
        verdict = judge_interaction(machine, transcript, expected)
        pytest.fail(verdict.explain(transcript, self.rerun_hint()), pytrace=False)

    def expect_text(self, machine, text, expected, after=0, multiplier=1.0):
        """Wait for `text` in the output after position `after` (machine.mark());
        fail the test with `expected` as the explanation if it does not come."""
        if not machine.wait_text(text, self.timeout(multiplier), after):
            self.fail_interaction(machine, expected)

    def expect(self, machine, check, expected, multiplier=1.0):
        """Wait until check() is true (it may look at machine.since(mark));
        fail the test with `expected` as the explanation if it does not."""
        if not machine.wait_for(lambda _: check(), self.timeout(multiplier)):
            self.fail_interaction(machine, expected)
