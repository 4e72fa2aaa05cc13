"""What every run of a kernel has, whatever runs it (QEMU, qemu_machine.py,
or the kernel as a Linux process, linux_machine.py): the serial output read
from the process's stdout and parsed into a transcript, typing into its
stdin, and waiting for text, for a condition or for the run to end.

How a run ends (KernelRun.ended):
  "exit"      the process exited by itself (isa-debug-exit from
              kernel_power_off, or it failed to start: see stderr_text())
  "reset"     the kernel asked for a reset (triple fault, keyboard-controller
              reset from kernel_reboot)
  "shutdown"  the guest shut down some other way (ACPI soft-off; QEMU only)
  "timeout"   nothing ended it in time: a hang
  "flood"     it printed more than MAX_OUTPUT bytes: an endless printing loop
  "stuck"     the kernel said it was finished but the process did not exit
For reset, shutdown, timeout and flood, stop_report holds the registers and a
symbolised backtrace taken before the process was stopped."""
import os
import secrets
import select
import subprocess
import time

from .protocol import FINAL_KINDS, FrameScanner, parse
from .sandbox import wait_for_exit

MAX_OUTPUT = 1 << 20     # bytes of serial output kept; more is a flood (an endless loop)
OVERFLOW_KEPT = 1 << 18  # bytes kept of what comes after, for the report of where it was
DRAIN_SECONDS = 3.0      # how long the output of a finished run is read at most
FINAL_GRACE = 3.0        # seconds the process gets to exit after the kernel's last frame


class KernelRun:
    """One run of a kernel. A subclass starts the process (self.process, its
    stdout a pipe) in its __init__ after this one, and says how to read the
    CPU state (capture_state). Use as a context manager; the process is
    always killed."""

    def __init__(self, kernel_elf, cmdline, workdir, nonce=None):
        self.kernel_elf = kernel_elf
        self.nonce = nonce or secrets.token_hex(8)
        self.cmdline = f"{cmdline} keel.nonce={self.nonce}".strip()
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.raw = b""
        self.overflow = b""  # the last OVERFLOW_KEPT bytes past MAX_OUTPUT (a flood's own report)
        self.exit_code = None
        self.ended = None
        self.stop_report = ""
        self.final_frame = None          # (kind, text) of the first frame ending the run
        self._final_at = None
        self._ended_at = None
        self._scanner = FrameScanner(self.nonce)
        self._cache = (None, None)
        self._stdout_open = True
        self.process = None
        self._stdout_fd = None

    def _started(self, process):
        """The subclass has started `process`: read its stdout from now on."""
        self.process = process
        self._stdout_fd = process.stdout.fileno()

    # ---- what a subclass may add -------------------------------------------------
    def _other_fds(self):
        """More file descriptors to wait on beside stdout (QEMU's QMP socket)."""
        return []

    def _take_other(self, ready):
        """Take in what the descriptors of _other_fds() in `ready` have."""

    def _ending(self):
        """An event that ends the run has come but is not handled yet."""
        return False

    def _settle(self):
        """Handle such an event (QEMU's reset); True if the run is over."""
        return self.ended is not None

    def _exited(self):
        """The process exited by itself (self.ended is "exit"): a subclass may
        say more about how the run ended."""

    def capture_state(self):
        """The registers and a backtrace of the kernel as it is now (text)."""
        raise NotImplementedError

    def _release(self):
        """Close what the subclass holds beside the process (sockets)."""

    # ---- life cycle --------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    @property
    def running(self):
        alive = self.process.poll() is None and not self._ending()
        if not alive and self._ended_at is None:
            self._ended_at = time.monotonic()
        return alive

    @property
    def run_seconds(self):
        """How long the run took (so far, if it goes on), as seen by the
        last check of `running`."""
        return (self._ended_at or time.monotonic()) - self.start_time

    @property
    def finished(self):
        """The process has exited and all its output has been read."""
        return not self._stdout_open and self.process.poll() is not None

    @property
    def timed_out(self):
        return self.ended == "timeout"

    @property
    def hang_report(self):  # the registers and backtrace of a stopped run
        return self.stop_report

    @property
    def elapsed(self):
        return time.monotonic() - self.start_time

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.exit_code is None:
            self.exit_code = self.process.returncode
        self._drain()
        self._release()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def stderr_text(self):
        return ""

    # ---- output ------------------------------------------------------------------
    def transcript(self):
        if self._cache[0] != len(self.raw):
            self._cache = (len(self.raw), parse(self.raw, self.nonce))
        return self._cache[1]

    def mark(self):
        """A position in the output, for wait_text(after=...) and since()."""
        return len(self.raw)

    def since(self, mark):
        """The output after `mark` as text, line ends folded to \\n (past
        MAX_OUTPUT, what is left of it: the end)."""
        text = (self.raw[mark:] + self.overflow).decode("utf-8", errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def send(self, text):
        """Type text into the kernel's serial port. A run that has already
        stopped ignores it (the next wait says what happened)."""
        try:
            self.process.stdin.write(text.encode())
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    # ---- waiting ---------------------------------------------------------------------
    def _drain(self):
        """Read what is left on stdout after the process exited (bounded:
        whatever still holds the pipe open does not hold the grader)."""
        deadline = time.monotonic() + DRAIN_SECONDS
        while self._stdout_open and time.monotonic() < deadline and len(self.raw) <= MAX_OUTPUT:
            try:
                ready, _, _ = select.select([self._stdout_fd], [], [], 0.5)
                chunk = os.read(self._stdout_fd, 65536) if ready else b""
            except (OSError, ValueError):
                chunk = b""
            if not chunk:
                break
            self._got_output(chunk)
        self._stdout_open = False

    def _got_output(self, chunk):
        room = MAX_OUTPUT + 1 - len(self.raw)
        if room > 0:
            self.raw += chunk[:room]
        if len(chunk) > room:
            self.overflow = (self.overflow + chunk[max(room, 0):])[-OVERFLOW_KEPT:]
        for kind, text in self._scanner.feed(chunk):
            if kind in FINAL_KINDS and self.final_frame is None:
                self.final_frame = (kind, text)
                self._final_at = time.monotonic()

    def _pump(self, timeout):
        """Wait up to `timeout` s for output (or what the subclass waits on)
        and take it in. Notices the process's exit."""
        fds = ([self._stdout_fd] if self._stdout_open else []) + self._other_fds()
        if not fds:
            try:
                wait_for_exit(self.process, max(timeout, 0.01))
            except subprocess.TimeoutExpired:
                pass
        else:
            ready, _, _ = select.select(fds, [], [], max(timeout, 0))
            self._take_other(ready)
            if self._stdout_open and self._stdout_fd in ready:
                chunk = os.read(self._stdout_fd, 65536)
                if chunk:
                    self._got_output(chunk)
                else:
                    self._stdout_open = False
        if not self._stdout_open and self.exit_code is None:
            try:
                self.exit_code = wait_for_exit(self.process, 5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.exit_code = self.process.wait()
            if self.ended is None:
                self.ended = "exit"
                self._exited()

    def take_output(self, seconds):
        """Take in what the kernel prints for up to `seconds` (less as soon
        as it prints or exits): a run left going while its grader waits on
        another must not fill its pipe and stall."""
        if self.process.poll() is None or self._stdout_open:
            self._pump(seconds)

    def wait_for(self, predicate, timeout):
        """Read output until predicate(transcript) holds (True), or the run
        ends or `timeout` s pass (False). A reset is handled on the way."""
        return self._wait(lambda: predicate(self.transcript()), timeout)

    def wait_text(self, text, timeout, after=0):
        """Wait until `text` appears in the raw output after position `after`
        (see mark()). Returns whether it did."""
        needle = text.encode()
        return self._wait(lambda: needle in self.raw[after:], timeout)

    def _wait(self, check, timeout):
        deadline = time.monotonic() + timeout
        while True:
            if check():
                return True
            if self._settle() or self.finished:
                self.kill()
                return check()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._pump(min(remaining, 0.25))

    def run_to_end(self, timeout):
        """Read until the run ends (the process exits, the kernel resets, the
        output floods) or `timeout` s pass (a hang: the CPU state is captured
        before the process is killed). Returns the transcript."""
        deadline = time.monotonic() + timeout
        while not self.finished:
            if self._settle():
                break
            now = time.monotonic()
            if len(self.raw) > MAX_OUTPUT:
                self.stop("flood")
                break
            if self._final_at is not None and now - self._final_at > FINAL_GRACE:
                self.stop("stuck")
                break
            if now >= deadline:
                self.stop("timeout")
                break
            self._pump(min(deadline - now, 0.25))
        self.kill()
        return self.transcript()

    def stop(self, why):
        """End a run that is still going (`why`: "timeout", "flood", "stuck"),
        keeping the registers and backtrace of where the kernel was."""
        if self.ended is None and self.process.poll() is None:
            self.ended = why
            self.stop_report = self.capture_state()
        self.kill()
