"""A kernel built with PLATFORM=linux, run as a Linux process (inside the
sandbox, sandbox.py, unless the instructor opted out). Its serial port is the
process's stdin/stdout; AddressSanitizer's reports, on stderr, are folded
into the same stream, in order. It exits with QEMU's isa-debug-exit codes,
or EXIT_RESET when it rebooted. A hang is stopped with SIGUSR2, on which
the kernel prints its registers and backtrace itself."""
import json
import os
import select
import signal
import subprocess
import time

from . import sandbox
from .kernel_run import KernelRun

# How the kernel's report on LINUX_HANG_SIGNAL begins (platform/linux/main.c, usermode.c).
STOPPED_MARKER = "*** Keel was stopped from outside"


class LinuxMachine(KernelRun):
    """A running Linux-platform kernel. Use as a context manager; the process
    is always killed."""

    EXIT_RESET = 64
    HANG_SIGNAL = signal.SIGUSR2

    def __init__(self, kernel_elf, cmdline, workdir, nonce=None, extra_args=()):
        super().__init__(kernel_elf, cmdline, workdir, nonce)
        self.stderr_path = os.path.join(self.workdir, "kernel.stderr")
        kernel_elf = os.path.abspath(kernel_elf)
        archive = os.path.join(os.path.dirname(kernel_elf), "programs.cpio")
        # The command line (with the nonce) goes through a pipe, not argv.
        line_read, line_write = os.pipe()
        kernel = [kernel_elf, *([f"--initrd={archive}"] if os.path.exists(archive) else []),
                  f"--cmdline-fd={line_read}", *extra_args]
        info_read = info_write = None
        if sandbox.enabled():
            info_read, info_write = os.pipe()
            given = [a.split("=", 1)[1] for a in extra_args if a.startswith("--initrd=")]
            self.command = [*sandbox.run_command(os.path.dirname(kernel_elf), info_write, given),
                            "--", *kernel]
        else:
            self.command = kernel
        self.start_time = time.monotonic()
        try:
            self._started(subprocess.Popen(
                sandbox.dies_with_parent(sandbox.limited(self.command, sandbox.RUN_LIMITS)),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=self.workdir,
                pass_fds=[fd for fd in (line_read, info_write) if fd is not None]))
        finally:
            for fd in (line_read, info_write):
                if fd is not None:
                    os.close(fd)
        with os.fdopen(line_write, "w") as line:
            line.write(self.cmdline)
        # Which process is the kernel is read only when it is needed (to
        # signal a hang): waiting for bubblewrap to say would hold up every run.
        self._info_fd = info_read
        self._kernel_pid = None if info_read is not None else self.process.pid

    @property
    def kernel_pid(self):
        """The host PID of the kernel (inside the sandbox: bubblewrap's child)."""
        if self._kernel_pid is None:
            info, self._info_fd = self._info_fd, None
            self._kernel_pid = _sandboxed_pid(info) or self.process.pid
        return self._kernel_pid

    def _release(self):
        if self._info_fd is not None:
            os.close(self._info_fd)
            self._info_fd = None

    def _exited(self):
        if self.exit_code == self.EXIT_RESET:
            self.ended = "reset"
            self.stop_report = "(the kernel asked for a reset; it printed where above)"

    def capture_state(self):
        """Have the kernel print where it is, and return what it printed."""
        mark = self.mark()
        self.overflow = b""  # a flooding kernel's report comes after output no longer kept
        try:
            os.kill(self.kernel_pid, self.HANG_SIGNAL)
        except OSError as error:
            return f"(could not signal the kernel: {error})"
        deadline = time.monotonic() + 3
        while self._stdout_open and time.monotonic() < deadline:
            self._pump(0.1)
        report = self.since(mark)
        start = report.rfind(STOPPED_MARKER)  # what a flood printed before it is not the report
        report = (report[start:] if start >= 0 else report).strip()
        return report or "(the kernel printed nothing when asked where it was)"


def _sandboxed_pid(info_fd, timeout=10.0):
    """The host PID of the program bubblewrap started (its --info-fd JSON), or
    None if it said nothing in time (it failed; its message is on stdout)."""
    data = b""
    deadline = time.monotonic() + timeout
    with os.fdopen(info_fd, "rb", buffering=0) as info:
        while b"}" not in data and time.monotonic() < deadline:
            ready, _, _ = select.select([info], [], [], max(0.0, deadline - time.monotonic()))
            chunk = info.read(4096) if ready else b""
            if not chunk:
                break
            data += chunk
    try:
        return int(json.loads(data)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None
