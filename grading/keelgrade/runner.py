"""Building kernels and booting them in QEMU.

One Machine is one QEMU process with its own scratch directory: serial on
stdin/stdout pipes, the HMP monitor on a unix socket (used to read the
registers of a hung kernel), and -d cpu_reset logging (to show the CPU state
at a triple fault). Instances share nothing, so tests can run in parallel."""
import fcntl
import os
import re
import secrets
import select
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass

from .protocol import parse

QEMU = "qemu-system-x86_64"
QEMU_MACHINE = ["-accel", "tcg", "-M", "q35", "-m", "128M", "-cpu", "qemu64", "-no-reboot",
                "-display", "none", "-nodefaults", "-serial", "stdio",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]


class BuildError(Exception):
    """The kernel did not build; the message holds the compiler's output."""


@dataclass
class Kernel:
    root: str
    lab: str
    variant: str  # "student" or "solution" (+ "-checked")

    @property
    def elf(self):
        return os.path.join(self.root, "build", self.lab, self.variant, "kernel.elf")


def build_kernel(root, lab, solution=False, checked=False):
    """Build a kernel with make (serialised between parallel test workers)
    and return it. Raises BuildError with the compiler's messages."""
    variant = ("solution" if solution else "student") + ("-checked" if checked else "")
    os.makedirs(os.path.join(root, "build"), exist_ok=True)
    args = ["make", "--no-print-directory", "-s", "kernel", f"LAB={lab}",
            f"SOLUTION={1 if solution else ''}", f"CHECKED={1 if checked else ''}"]
    with open(os.path.join(root, "build", ".grading.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(args, cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        errors = [l for l in output.splitlines() if not l.startswith("  CC ")]
        raise BuildError(f"The kernel did not build (make kernel LAB={lab}"
                         f"{' SOLUTION=1' if solution else ''}):\n" + "\n".join(errors[-60:]))
    return Kernel(root, lab, variant)


class Machine:
    """A running QEMU. Use as a context manager; the process is always killed."""

    def __init__(self, kernel_elf, cmdline, workdir, nonce=None, extra_args=()):
        self.kernel_elf = kernel_elf
        self.nonce = nonce or secrets.token_hex(6)
        self.cmdline = f"{cmdline} keel.nonce={self.nonce}".strip()
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.monitor_path = os.path.join(workdir, "monitor.sock")
        self.log_path = os.path.join(workdir, "qemu.log")
        self.raw = b""
        self.start_time = None
        self.exit_code = None
        self.timed_out = False
        self.hang_report = ""
        cmd = [QEMU, *QEMU_MACHINE, "-kernel", kernel_elf, "-append", self.cmdline,
               "-monitor", f"unix:{self.monitor_path},server=on,wait=off",
               "-d", "cpu_reset", "-D", self.log_path, *extra_args]
        self.command = cmd
        self.start_time = time.monotonic()
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=workdir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.exit_code is None:
            self.exit_code = self.process.returncode

    @property
    def elapsed(self):
        return time.monotonic() - self.start_time

    def transcript(self):
        return parse(self.raw, self.nonce)

    def send(self, text):
        """Type text into the kernel's serial port."""
        self.process.stdin.write(text.encode())
        self.process.stdin.flush()

    def _read_some(self, timeout):
        ready, _, _ = select.select([self.process.stdout], [], [], max(timeout, 0))
        if not ready:
            return False
        chunk = os.read(self.process.stdout.fileno(), 65536)
        if not chunk:
            self.process.wait()
            self.exit_code = self.process.returncode
            return None
        self.raw += chunk
        return True

    def wait_for(self, predicate, timeout):
        """Read output until predicate(transcript) holds, QEMU exits, or the
        timeout passes. Returns True if the predicate held."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self.transcript()):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self._read_some(min(remaining, 0.5)) is None:
                return predicate(self.transcript())

    def wait_text(self, text, timeout, after=0):
        """Wait until `text` appears in the output after offset `after`."""
        return self.wait_for(lambda t: text in t.text[after:], timeout)

    def run_to_end(self, timeout):
        """Read until QEMU exits; on timeout capture the hang report and kill."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None or self._pending():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out = True
                self.hang_report = self.capture_hang_state()
                self.kill()
                break
            if self._read_some(min(remaining, 0.5)) is None:
                break
        self.kill()
        return self.transcript()

    def _pending(self):
        ready, _, _ = select.select([self.process.stdout], [], [], 0)
        return bool(ready) and not self.process.stdout.closed

    # ---- looking inside a hung kernel -------------------------------------
    def monitor_command(self, command, timeout=3.0):
        """Run one HMP monitor command and return its output."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.monitor_path)
            data = b""
            while b"(qemu)" not in data:
                data += s.recv(4096)
            s.sendall(command.encode() + b"\n")
            data = b""
            while data.count(b"(qemu)") < 1:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        text = data.decode(errors="replace").replace("\r", "")
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
        lines = [l for l in text.split("\n") if not l.startswith("(qemu)") and command not in l]
        return "\n".join(lines).strip()

    def capture_hang_state(self):
        """Registers and a symbolised backtrace of the kernel as it is now."""
        try:
            registers = self.monitor_command("info registers")
        except OSError as error:
            return f"(could not read the registers: {error})"
        rip = _register(registers, "RIP")
        rbp = _register(registers, "RBP")
        lines = ["Registers when the kernel was stopped:", _short_registers(registers), "",
                 "Where it was (most recent call first):"]
        addresses = []
        if rip is not None:
            addresses.append(rip)
        frame = rbp
        for _ in range(16):
            if not frame or frame % 8:
                break
            try:
                words = self.monitor_command(f"x /2gx {frame:#x}")
            except OSError:
                break
            values = [int(v, 16) for v in re.findall(r"0x([0-9a-f]{16})", words)]
            if len(values) < 2 or values[1] == 0:
                break
            addresses.append(values[1] - 1)
            if values[0] <= frame:
                break
            frame = values[0]
        for i, (address, where) in enumerate(zip(addresses, symbolise(self.kernel_elf, addresses))):
            lines.append(f"  #{i:<2} {address + (1 if i else 0):#018x} {where}")
        return "\n".join(lines)

    def reset_report(self):
        """The CPU state QEMU logged at the last reset (-d cpu_reset), if any."""
        try:
            with open(self.log_path, errors="replace") as f:
                log = f.read()
        except OSError:
            return ""
        blocks = log.split("CPU Reset")
        if len(blocks) < 2:
            return ""
        last = blocks[-1]
        keep = [l for l in last.splitlines() if re.match(r"\s*(EAX|ESI|EIP|RAX|RSI|R8|R12|RIP|CR0|ES|CS|SS|GDT|IDT)", l)]
        return "\n".join(keep[:14])


def _register(dump, name):
    match = re.search(rf"\b{name}=([0-9a-f]+)", dump)
    return int(match.group(1), 16) if match else None


def _short_registers(dump):
    keep = [l for l in dump.splitlines()
            if re.match(r"(RAX|RSI|R8 |R12|RIP|CR0|CS |SS )", l)]
    return "\n".join("  " + l for l in keep) or dump


def symbolise(elf, addresses):
    """'function at file:line' for each address (addr2line)."""
    if not addresses:
        return []
    if not shutil.which("addr2line"):
        return ["?"] * len(addresses)
    result = subprocess.run(["addr2line", "-f", "-e", elf, *[hex(a) for a in addresses]],
                            capture_output=True, text=True)
    out = result.stdout.splitlines()
    pairs = []
    for i in range(len(addresses)):
        function = out[2 * i] if 2 * i < len(out) else "?"
        where = out[2 * i + 1] if 2 * i + 1 < len(out) else "?"
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        pairs.append(f"{function} at {os.path.relpath(where, root) if where.startswith('/') else where}")
    return pairs


def boot(kernel_elf, cmdline, workdir, timeout, send=None):
    """Boot, optionally type `send`, read until the kernel powers off or the
    timeout passes. Returns the finished Machine."""
    machine = Machine(kernel_elf, cmdline, workdir)
    try:
        if send:
            machine.send(send)
        machine.run_to_end(timeout)
    finally:
        machine.kill()
    return machine
