"""Building kernels for the graders: `make kernel` in the tree being graded,
inside the sandbox (keelgrade/sandbox.py: student code is compiled there), one
build at a time between parallel test workers (a lock file under build/).
Errors come back as text a student can act on: the compiler's first errors,
or the rule of keelgrade/rules.py that the lab code broke."""
import fcntl
import os
import re
import threading

from . import sandbox
from .text import printable, quoted

BUILD_SECONDS = 300              # wall clock, for one `make kernel`
MAX_BUILD_OUTPUT = 1 << 20       # of the compiler's output, the end is kept


class BuildError(Exception):
    """The kernel did not build; the message holds the compiler's output."""


class CodeRefused(BuildError):
    """The lab code broke a rule of keelgrade/rules.py: the message says which."""

    @property
    def reference_code(self):
        return "REFERENCE CODE SUBMITTED" in str(self)


class Kernel:
    """A built kernel: its lab, and its ELF file where make put it."""

    def __init__(self, lab, elf):
        self.lab, self.elf = lab, elf

    def __repr__(self):
        return f"Kernel({self.lab}: {self.elf})"


# ---- building ------------------------------------------------------------------
_COMPILER_NOISE = re.compile(r"^\s+(CC|AS|AR|LD|SYMS)\s|^make(\[\d+\])?: (Entering|Leaving) directory")
_ERROR_LINE = re.compile(r"(error|undefined reference|multiple definition|No rule to make)", re.I)


def format_build_error(output, command):
    """A compiler's output, trimmed to what a student needs: the errors first,
    then the full (but shortened) log."""
    lines = [l for l in output.splitlines() if l.strip() and not _COMPILER_NOISE.search(l)]
    errors = [l for l in lines if _ERROR_LINE.search(l) and not l.startswith("make")]
    parts = [f"Your kernel did not compile ({command}), so no test could run."]
    if errors:
        shown = errors[:15]
        parts += ["", "The errors:"] + [f"  {printable(l.strip()[:300])}" for l in shown]
        if len(errors) > len(shown):
            parts.append(f"  ... and {len(errors) - len(shown)} more")
        parts += ["", "Fix the first error first: later ones are often caused by it."]
    parts += ["", "Compiler output:", quoted(l[:300] for l in lines[-60:]) if lines else "  (none)"]
    return "\n".join(parts)


def make_variables(lab, solution=False, checked=False, platform="pc"):
    """The make variables that choose a kernel (the Makefile alone knows
    where it goes)."""
    variables = [f"LAB={lab}", "SOLUTION=1" if solution else "SOLUTION=",
                 "CHECKED=1" if checked else "CHECKED=", f"PLATFORM={platform}"]
    # The sandbox starts from an empty environment: what make reads from it
    # travels as arguments.
    if os.environ.get("USE_MINE"):
        variables += [f"USE_MINE={os.environ['USE_MINE']}"]
    return variables


def build_kernel(root, lab, solution=False, checked=False, platform="pc"):
    """Build the kernel of `lab` with make (serialised between parallel test
    workers by a lock file under build/) and return it. Raises BuildError with
    the compiler's messages."""
    os.makedirs(os.path.join(root, "build"), exist_ok=True)
    variables = make_variables(lab, solution, checked, platform)
    with open(os.path.join(root, "build", ".grading.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            returncode, output = _run_build(root, ["make", "--no-print-directory", "-s", "kernel",
                                                   *variables])
            built = [line[len("built "):].strip() for line in output.splitlines()
                     if line.startswith("built ") and line.endswith("/kernel.elf")]
            if returncode == 0 and built and os.path.exists(os.path.join(root, built[-1])):
                return Kernel(lab, os.path.join(root, built[-1]))
            _, where = _run_build(root, ["make", "--no-print-directory", "-s", "print-kernel-dir",
                                         *variables])
        except sandbox.SandboxUnavailable as error:
            raise BuildError(str(error))
        except OSError as error:
            raise BuildError(f"Could not run make to build the kernel ({error}). Install the "
                             "build tools with `sudo apt-get install make gcc binutils` (or "
                             "`make deps`); `make doctor` checks everything Keel needs.")
    kernel_dir = (where.strip().splitlines() or [""])[-1]
    refusal = os.path.join(root, kernel_dir, "refused.txt")
    if returncode != 0 and kernel_dir and os.path.exists(refusal):
        with open(refusal, errors="replace") as f:
            raise CodeRefused(f.read().strip())
    shown = " ".join(v for v in variables if not v.endswith("=") and v != "PLATFORM=pc")
    raise BuildError(format_build_error(output, f"make kernel {shown}"))


_started = {}   # (root, lab, solution, checked, platform) -> (thread, outcome)


def start_building(root, lab, solution=False, checked=False, platform="pc"):
    """Start build_kernel in a thread (make grade does, so that the build and
    pytest's start-up overlap); built_kernel then waits for its outcome."""
    outcome = {}

    def run():
        try:
            outcome["kernel"] = build_kernel(root, lab, solution, checked, platform)
        except BuildError as error:
            outcome["error"] = error

    thread = threading.Thread(target=run, name="keel-build", daemon=True)
    _started[(root, lab, solution, checked, platform)] = (thread, outcome)
    thread.start()


def built_kernel(root, lab, solution=False, checked=False, platform="pc"):
    """build_kernel's result: from the build start_building began for the
    same kernel if there is one (waiting for it), else from a new build."""
    started = _started.pop((root, lab, solution, checked, platform), None)
    if started is None:
        return build_kernel(root, lab, solution, checked, platform)
    thread, outcome = started
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["kernel"]


def _run_build(root, args):
    """(exit status, output) of `args` run in the sandbox. The output goes to
    a file, never a pipe the compiler could read back (#include "/dev/fd/1"
    would wait on it for ever), and the build has a wall-clock limit as well
    as a CPU one."""
    log_path = os.path.join(root, "build", f".build-{os.getpid()}.log")
    with open(log_path, "w+b") as log:
        returncode, killed = sandbox.run_with_deadline(
            sandbox.limited(sandbox.build_command(root, args), sandbox.BUILD_LIMITS),
            BUILD_SECONDS, log, cwd=root)
        late = (f"\nmake: the build took more than {BUILD_SECONDS} s and was stopped (is the "
                "compiler reading something endless?)") if killed else ""
        size = log.seek(0, os.SEEK_END)
        log.seek(max(0, size - MAX_BUILD_OUTPUT))
        output = log.read().decode(errors="replace") + late
    os.unlink(log_path)
    return returncode, output
