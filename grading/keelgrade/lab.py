"""The lab (or kernel) under test: built once, booted once per test."""
import pytest

from . import calibration
from .runner import BuildError, Machine, boot, build_kernel
from .verdict import judge_test


class Lab:
    """The lab being graded: builds its kernel once and boots it per test."""

    def __init__(self, root, name, solution, checked):
        self.root, self.name, self.solution, self.checked = root, name, solution, checked
        self._kernel = None
        self._build_error = None

    @property
    def kernel(self):
        if self._kernel is None and self._build_error is None:
            try:
                self._kernel = build_kernel(self.root, self.name, self.solution, self.checked)
            except BuildError as error:
                self._build_error = str(error)
        if self._build_error:
            pytest.fail(self._build_error, pytrace=False)
        return self._kernel

    def timeout(self, multiplier=1.0):
        return calibration.timeout_for(calibration.boot_seconds(self.root, self.name), multiplier)

    def run_ktest(self, name, workdir, multiplier=1.0):
        """Boot with keel.test=name; return (verdict, transcript, machine)."""
        machine = boot(self.kernel.elf, f"keel.test={name}", workdir, self.timeout(multiplier))
        transcript = machine.transcript()
        return judge_test(machine, transcript, name), transcript, machine

    def check_ktest(self, name, workdir, multiplier=1.0):
        """Run in-kernel test `name` and fail the pytest test with the verdict
        unless it passed."""
        verdict, transcript, _ = self.run_ktest(name, workdir, multiplier)
        if not verdict.passed:
            pytest.fail(verdict.explain(transcript), pytrace=False)

    def start(self, workdir, cmdline=""):
        """Boot the lab kernel normally; returns a Machine (a context manager)."""
        return Machine(self.kernel.elf, cmdline, workdir)
