"""The lab (or kernel) under test: built once, booted once per test."""
import json
import os
import shutil
import tempfile
import time

import pytest

from . import calibration, perturb, recording
from .build import BuildError, CodeRefused, Kernel, built_kernel
from .boot import boot, start_machine
from .qemu_machine import QemuMissing
from .seeded import new_seed
from .commands import debug_command, replay_hint
from .verdict import (HANG, MISSING_OUTPUT, NO_START, NOT_FOUND, PROTOCOL_VIOLATED, WRONG_ANSWER,
                      judge_answers, judge_interaction, judge_test, refusal_verdict)

MAX_STARTED_AHEAD = 16   # runs started early and not yet judged, at most
REFILL_SECONDS = 0.01    # how often a slot freed by another run is refilled


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
        self._ahead = {}         # run key -> machine started early (see _runs)
        self._upcoming = []      # KTests whose kernels may be started early, in order
        self._done = set()       # keys of the runs already judged
        self._runs_cache = {}    # KTest name -> its runs (see _runs)
        self._run_seconds = None # run key -> how long its last run took (see _fill)
        self._scratch = None     # runs' directories when the test gives none

    def build(self):
        """Build the kernel unless that was done; the reasons it failed
        (text for a student), or None if it built."""
        if self._kernel is None and self._build_error is None:
            try:
                self._kernel = built_kernel(self.root, self.name, self.solution, self.checked,
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
        """Keep up to `boot_ahead` kernels running for the in-kernel tests
        `upcoming` (KTests, the current one first, in the order they will
        run), each with its own nonce, seed and sandbox; check_ktest then
        reads each one's run, and starts more as runs end while it waits.
        Nothing is started if the kernel did not build."""
        if self.boot_ahead < 2 or self.build():
            return
        self.timeout()  # calibrated before anything else runs
        self._upcoming = list(upcoming)
        self._fill()

    def _fill(self):
        """Start upcoming tests' kernels while fewer than `boot_ahead` are
        running: the current test's first, then the slowest last time first
        (the rest in order), so a slow test runs beside the quick ones
        instead of after them. Only the order in which runs start changes."""
        running = sum(1 for machine in self._ahead.values() if machine.running)
        times = self._load_run_seconds()
        first = self._runs_of(self._upcoming[0]) if self._upcoming else []
        rest = [run for test in self._upcoming[1:] for run in self._runs_of(test)]
        for key, cmdline, _, _ in first + sorted(rest, key=lambda r: -times.get(r[0], 0.0)):
            if running >= self.boot_ahead or len(self._ahead) >= MAX_STARTED_AHEAD:
                return
            if key in self._ahead or key in self._done:
                continue
            try:
                machine = start_machine(self.kernel.elf, cmdline, self._scratch_dir())
            except (QemuMissing, OSError):
                return  # the test starts it itself, and says what is wrong
            self._ahead[key] = machine
            running += 1

    def _runs_of(self, test):
        return self._runs(test.name, test.expect, getattr(test, "perturb", False))

    def _runs(self, name, expect, perturbed):
        """The runs of in-kernel test `name`, each (key, command line, answer
        seed, perturbation seed): one, or with `perturbed` one per
        perturbation seed (keelgrade/perturb.py). Drawn once per test."""
        if name not in self._runs_cache:
            base, seed = _ktest_cmdline(name, expect)
            self._runs_cache[name] = [(name, base, seed, None)] if not perturbed else [
                (name if p is None else
                 # The fresh seed's run is keyed as "fresh": a key per seed
                 # would grow run-seconds.json with every grading.
                 f"{name} keel.perturb={p if p in perturb.FIXED_SEEDS else 'fresh'}",
                 perturb.cmdline(base, p), seed, p) for p in perturb.seeds()]
        return self._runs_cache[name]

    def _run_seconds_file(self):
        return os.path.join(os.path.dirname(self.kernel_elf), "run-seconds.json")

    def _load_run_seconds(self):
        """How long each test's run took last time (a hint for _fill; the
        file lies in the build directory, so anything odd in it is ignored)."""
        if self._run_seconds is None:
            self._run_seconds = {}
            try:
                with open(self._run_seconds_file()) as f:
                    saved = json.loads(f.read(1 << 16))
                self._run_seconds = {str(k): float(v) for k, v in saved.items()
                                     if isinstance(v, (int, float))}
            except (OSError, ValueError, AttributeError, TypeError):
                pass
        return self._run_seconds

    def _save_run_seconds(self):
        if not self._run_seconds or not self.kernel_elf:
            return
        path = self._run_seconds_file()
        try:
            with open(f"{path}.{os.getpid()}", "w") as f:
                json.dump(self._run_seconds, f)
            os.replace(f"{path}.{os.getpid()}", path)
        except OSError:
            pass

    def close(self):
        """Stop the kernels started ahead for tests that did not run."""
        self._save_run_seconds()
        for machine in self._ahead.values():
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

    def check_ktest(self, name, workdir=None, multiplier=1.0, expect=None, perturbed=False):
        """Run in-kernel test `name` (in `workdir`, or a directory of the
        Lab's own) and fail the pytest test with the verdict unless it passed.
        With `expect` (a host-checked test), the run gets a fresh seed and
        its answers must be expect(seed). With `perturbed`, it runs plainly
        and once per perturbation seed (keelgrade/perturb.py), and every run
        must pass."""
        for key, cmdline, seed, perturb_seed in self._runs(name, expect, perturbed):
            self._done.add(key)
            if key in self._ahead:
                machine = self._ahead[key]
                deadline = time.monotonic() + self.timeout(multiplier)
                while machine.running and time.monotonic() < deadline:
                    machine.take_output(min(REFILL_SECONDS, deadline - time.monotonic()))
                    self._fill()
                del self._ahead[key]
                machine.run_to_end(max(deadline - time.monotonic(), 0))
                self._load_run_seconds()[key] = round(machine.run_seconds, 3)
                transcript = machine.transcript()
                verdict = judge_test(machine, transcript, name)
            else:
                verdict, transcript, _ = self.run_ktest(name, workdir or self._scratch_dir(),
                                                        multiplier, cmdline)
            if expect is not None:
                verdict = judge_answers(verdict, transcript, name, seed, expect(seed))
            if not verdict.passed:
                text = verdict.explain(
                    transcript, self.rerun_hint(cmdline),
                    self.record_failure(name, cmdline, verdict, multiplier),
                    debug_command(self.name, name, self.platform, self.solution, self.checked,
                                  os.environ.get("USE_MINE", ""), cmdline or ""))
                if perturb_seed is not None:
                    text = perturb.explain_failure(perturb_seed, text)
                pytest.fail(text, pytrace=False)

    def record_failure(self, name, cmdline, verdict, multiplier):
        """Record failed test `name` again for make replay (recording.py);
        the line a verdict shows about it, or None."""
        if self.platform != "pc" or verdict.kind == NOT_FOUND:
            return None
        # A hang is not recorded here: that would take its whole timeout again.
        directory = recording.record(self.kernel.elf, cmdline, name, self.timeout(multiplier)) \
            if recording.enabled() and verdict.kind not in (HANG, NO_START) else None
        # A wrong answer or missing output is seen by the grader only: the
        # kernel itself reports a pass in the recording too.
        judged_by_kernel = verdict.kind not in (WRONG_ANSWER, MISSING_OUTPUT, PROTOCOL_VIOLATED)
        again = directory is None or not judged_by_kernel or recording.failed_again(directory, name)
        return replay_hint(self.name, name, self.solution, directory is not None, again, cmdline,
                           self.checked)

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
