"""The lab (or kernel) under test: built once, booted once per test."""
import shutil
import tempfile

import pytest

from . import calibration
from .build import BuildError, CodeRefused, Kernel, build_kernel
from .boot import boot, start_machine
from .qemu_machine import QemuMissing
from .seeded import new_seed
from .verdict import judge_answers, judge_interaction, judge_test, refusal_verdict


class Lab:
    """The lab being graded: builds its kernel once and boots it per test.
    `kernel_elf` or `build_error`: the outcome of a build already made for
    this run (make grade builds before the tests start). `boot_ahead`: how
    many in-kernel tests' kernels may run at once (see start_ahead)."""

    def __init__(self, root, name, solution, checked, platform="pc", kernel_elf=None,
                 build_error=None, boot_ahead=0):
        self.root, self.name, self.solution, self.checked = root, name, solution, checked
        self.platform = platform
        self._kernel = Kernel(name, kernel_elf) if kernel_elf else None
        self._build_error = build_error or None
        self.refused = False     # the build failed because the rules refused the lab code
        self.boot_ahead = boot_ahead
        self._ahead = {}         # KTest name -> (machine, cmdline, seed) started early
        self._scratch = None     # runs' directories when the test gives none

    def build(self):
        """Build the kernel unless that was done; the reasons it failed
        (text for a student), or None if it built."""
        if self._kernel is None and self._build_error is None:
            try:
                self._kernel = build_kernel(self.root, self.name, self.solution, self.checked,
                                            self.platform)
            except CodeRefused as error:
                self._build_error = refusal_verdict(error).explain()
                self.refused = True
            except BuildError as error:
                self._build_error = str(error)
        return self._build_error

    @property
    def build_error(self):
        return self._build_error

    @property
    def kernel_elf(self):
        return self._kernel.elf if self._kernel else None

    @property
    def kernel(self):
        if self.build():
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

    # ---- in-kernel tests, their kernels started ahead --------------------------------
    def start_ahead(self, upcoming):
        """Start the kernels of the next in-kernel tests (KTests, in the order
        they will run) now, so that up to `boot_ahead` run at once, each with
        its own nonce, seed and sandbox; check_ktest then reads each one's
        run. Nothing is started if the kernel did not build."""
        if self.boot_ahead < 2 or self.build():
            return
        self.timeout()  # calibrated before anything else runs
        for test in upcoming[:self.boot_ahead - 1]:
            if test.name in self._ahead:
                continue
            cmdline, seed = _ktest_cmdline(test.name, test.expect)
            try:
                machine = start_machine(self.kernel.elf, cmdline, self._scratch_dir())
            except (QemuMissing, OSError):
                return  # the test starts it itself, and says what is wrong
            self._ahead[test.name] = (machine, cmdline, seed)

    def close(self):
        """Stop the kernels started ahead for tests that did not run."""
        for machine, _, _ in self._ahead.values():
            machine.kill()
        self._ahead.clear()
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def _scratch_dir(self):
        """A fresh directory for one run, removed by close()."""
        if self._scratch is None:
            self._scratch = tempfile.mkdtemp(prefix="keel-runs-")
        return tempfile.mkdtemp(dir=self._scratch)

    def check_ktest(self, name, workdir=None, multiplier=1.0, expect=None):
        """Run in-kernel test `name` (in `workdir`, or a directory of the
        Lab's own) and fail the pytest test with the verdict unless it passed.
        With `expect` (a host-checked test), the run gets a fresh seed and
        its answers must be expect(seed)."""
        if name in self._ahead:
            machine, cmdline, seed = self._ahead.pop(name)
            machine.run_to_end(self.timeout(multiplier))
            transcript = machine.transcript()
            verdict = judge_test(machine, transcript, name)
        else:
            cmdline, seed = _ktest_cmdline(name, expect)
            verdict, transcript, _ = self.run_ktest(name, workdir or self._scratch_dir(),
                                                    multiplier, cmdline)
        if expect is not None:
            verdict = judge_answers(verdict, transcript, name, seed, expect(seed))
        if not verdict.passed:
            pytest.fail(verdict.explain(transcript, self.rerun_hint(cmdline)), pytrace=False)

    def rerun_hint(self, cmdline=""):
        """The command that boots the same kernel for a student to watch."""
        options = f"LAB={self.name}" + (" SOLUTION=1" if self.solution else "")
        if self.platform == "linux":
            return f"make linux {options}" + (f" CMDLINE='{cmdline}'" if cmdline else "") + \
                " (quit with Ctrl-C)"
        options += " CHECKED=1" if self.checked else ""
        return f"make qemu-direct {options}" + (f" CMDLINE='{cmdline}'" if cmdline else "") + \
            " (quit QEMU with Ctrl-A then X)"

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


def _ktest_cmdline(name, expect):
    """(command line, seed) of one run of in-kernel test `name`: a
    host-checked test (with `expect`) gets a fresh seed."""
    if expect is None:
        return f"keel.test={name}", None
    seed = new_seed()
    return f"keel.test={name} keel.seed={seed}", seed
