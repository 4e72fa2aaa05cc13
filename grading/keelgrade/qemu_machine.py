"""A PC kernel booted in QEMU, one QEMU process per run with its own scratch
directory and sockets, so tests run in parallel. It has:
  - the serial port on QEMU's stdin/stdout (the grader reads what the kernel
    prints and can type into it);
  - a QMP socket that tells the grader at once when the guest resets (a
    triple fault, or kernel_reboot) and runs monitor commands for it;
  - the HMP monitor on a unix socket (monitor.py).
QEMU runs with -no-reboot -no-shutdown: a reset does not reboot, it *pauses*
the guest, so the grader can still read the registers and the stack as they
were at the triple fault (QEMU's own -d cpu_reset log would show only the
power-on reset here, because with -no-reboot the CPU is never reset).

The machine itself (emulator, board, memory, CPU, the exit device) is the
Makefile's QEMU_MACHINE, asked for once per process (qemu_command)."""
import functools
import os
import shutil
import subprocess
import tempfile
import time

from . import sandbox
from .kernel_run import KernelRun
from .monitor import Qmp, hmp_command, parse_memory_dump, register
from .symbols import describe_state, function_start

QEMU = "qemu-system-x86_64"
# How the grader connects to the machine: no display, no default devices,
# the serial port on stdin/stdout.
GRADER_CONNECTION = ["-display", "none", "-nodefaults", "-serial", "stdio"]
BACKTRACE_FRAMES = 24
# The tree this library belongs to (its Makefile knows the machine).
TREE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class QemuMissing(Exception):
    """qemu-system-x86_64 is not installed."""

    def __init__(self):
        super().__init__(f"{QEMU} is not installed, so no kernel can boot. Install it with "
                         "`sudo apt-get install qemu-system-x86` (or `make deps`); `make doctor` "
                         "checks everything Keel needs.")


@functools.lru_cache(maxsize=None)
def qemu_command():
    """The emulator and its machine options as a list, from the Makefile:
    KEEL_QEMU when make started us (make exports it), else `make -s
    qemu-args` once per process."""
    line = os.environ.get("KEEL_QEMU")
    if not line:
        line = subprocess.run(["make", "--no-print-directory", "-s", "qemu-args"], cwd=TREE,
                              capture_output=True, text=True, check=True).stdout
    return line.split()


def programs_archive_args(kernel_elf):
    """-initrd for the boot archive of user programs the build puts next to
    a lab's kernel (labs with LAB_PROGRAMS), or nothing."""
    archive = os.path.join(os.path.dirname(kernel_elf), "programs.cpio")
    return ["-initrd", archive] if os.path.exists(archive) else []


class QemuMachine(KernelRun):
    """A running QEMU. Use as a context manager; the process is always killed."""

    def __init__(self, kernel_elf, cmdline, workdir, nonce=None, extra_args=()):
        super().__init__(kernel_elf, cmdline, workdir, nonce)
        sockets = self.workdir
        self._socket_dir = None
        if len(os.path.join(sockets, "monitor.sock")) > 100:  # unix socket paths are short
            sockets = self._socket_dir = tempfile.mkdtemp(prefix="keel-")
        self.monitor_path = os.path.join(sockets, "monitor.sock")
        self.stderr_path = os.path.join(self.workdir, "qemu.stderr")
        self._qmp = Qmp(os.path.join(sockets, "qmp.sock"))
        for path in (self.monitor_path, self._qmp.path):
            if os.path.exists(path):
                os.unlink(path)
        # The nonce does not go on QEMU's command line, which the guest can
        # read back through fw_cfg: the framework reads it from the serial line.
        append = f"{cmdline} keel.nonce=console".strip()
        if shutil.which(QEMU) is None:
            raise QemuMissing()
        self.command = [*qemu_command(), *GRADER_CONNECTION, "-no-shutdown",
                        "-kernel", kernel_elf, "-append", append,
                        "-monitor", f"unix:{self.monitor_path},server=on,wait=off",
                        "-qmp", f"unix:{self._qmp.path},server=on,wait=on",
                        *programs_archive_args(kernel_elf), *extra_args]
        with open(self.stderr_path, "wb") as stderr:
            self.start_time = time.monotonic()
            self._started(subprocess.Popen(sandbox.dies_with_parent(self.command),
                                           stdin=subprocess.PIPE,
                                           stdout=subprocess.PIPE, stderr=stderr,
                                           cwd=self.workdir))
        self.send(f"\n\n@nonce:{self.nonce}\n")
        self._qmp.connect(self.process)

    @property
    def shutdown_reason(self):
        return self._qmp.shutdown_reason

    # ---- what KernelRun asks of a machine ----------------------------------------
    def _other_fds(self):
        return [self._qmp.socket] if self._qmp.connected else []

    def _take_other(self, ready):
        if self._qmp.connected and self._qmp.socket in ready:
            self._qmp.read(block=False)

    def _ending(self):
        return self.shutdown_reason is not None

    def _settle(self):
        """Handle a guest reset/shutdown the QMP socket reported: read the
        CPU state, then let QEMU quit. Returns True if the run is over."""
        if self.shutdown_reason is None or self.ended is not None:
            return self.ended is not None
        self.ended = "reset" if self.shutdown_reason == "guest-reset" else "shutdown"
        self.stop_report = self.capture_state()
        try:
            self._qmp.execute("quit")
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while not self.finished and time.monotonic() < deadline:
            self._pump(0.2)
        self.kill()
        return True

    def _release(self):
        self._qmp.close()
        if self._socket_dir:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

    def stderr_text(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                text = f.read()
        except OSError:
            return ""
        keep = [l for l in text.splitlines() if "waiting for connection" not in l]
        return "\n".join(keep).strip()

    # ---- looking inside a stopped or hung kernel ------------------------------------------
    def monitor_command(self, command, timeout=5.0):
        """Run one HMP monitor command (e.g. "info registers") and return its
        output: through QMP when connected, else through the HMP socket."""
        if self._qmp.connected:
            text = self._qmp.execute("human-monitor-command", timeout=timeout,
                                     **{"command-line": command})
            return (text or "").replace("\r", "").strip()
        return hmp_command(self.monitor_path, command, timeout)

    def capture_state(self):
        """The registers and a symbolised backtrace of the kernel as it is now
        (the guest is paused first so both agree)."""
        try:
            self.monitor_command("stop")
            registers = self.monitor_command("info registers")
        except OSError as error:
            return f"(could not read the CPU state: {error})"
        return describe_state(registers, self.read_stack(registers), self.kernel_elf)

    def read_words(self, address, count):
        return parse_memory_dump(self.monitor_command(f"x /{count}gx {address:#x}"))

    def read_stack(self, registers):
        """[(address, is_return_address)] from RIP and the chain of frame
        pointers (each frame: [saved RBP][return address])."""
        rip, rbp = register(registers, "RIP"), register(registers, "RBP")
        chain = [(rip, False)] if rip is not None else []
        leaf = self.leaf_return_address(registers)
        if leaf is not None:
            chain.append((leaf, True))
        frame = rbp
        for _ in range(BACKTRACE_FRAMES):
            if not frame or frame % 8:
                break
            try:
                words = self.read_words(frame, 2)
            except OSError:
                break
            if len(words) < 2 or words[1] == 0:
                break
            chain.append((words[1], True))
            if words[0] <= frame:
                break
            frame = words[0]
        return chain

    def leaf_return_address(self, registers):
        """The return address at [RSP] when the CPU is in a function that has
        not set up (or has already left) its own frame: a small leaf such as
        cpu_relax, or the first instruction of any function. The frame-pointer
        chain would skip its caller. Accepted only if the bytes before it are a
        direct call to the function RIP is in, so a stray number on the stack
        is never shown as a caller."""
        rip, rsp = register(registers, "RIP"), register(registers, "RSP")
        start = function_start(self.kernel_elf, rip) if rip is not None else None
        if start is None or rsp is None or rsp % 8:
            return None
        try:
            words = self.read_words(rsp, 1)
            if not words:
                return None
            candidate = words[0]
            before = parse_memory_dump(self.monitor_command(f"x /5bx {candidate - 5:#x}"))
        except OSError:
            return None
        if len(before) != 5 or before[0] != 0xE8:
            return None
        target = (candidate + int.from_bytes(bytes(before[1:]), "little", signed=True)) % (1 << 64)
        return candidate if target == start else None
