"""Building kernels and booting them in QEMU.

One Machine is one QEMU process with its own scratch directory and sockets,
so tests run in parallel (pytest -n). It has:
  - the serial port on QEMU's stdin/stdout (the grader reads what the kernel
    prints and can type into it);
  - a QMP socket (JSON) that tells the grader at once when the guest resets
    (a triple fault, or kernel_reboot) and runs monitor commands for it;
  - the HMP monitor on a unix socket, for a human poking at a live machine
    and as a fallback for the monitor commands.
QEMU runs with -no-reboot -no-shutdown: a reset does not reboot, it *pauses*
the guest, so the grader can still read the registers and the stack as they
were at the triple fault (QEMU's own -d cpu_reset log would show only the
power-on reset here, because with -no-reboot the CPU is never reset).

How a run ends (Machine.ended):
  "exit"      QEMU exited by itself (isa-debug-exit from kernel_power_off,
              or QEMU failed to start: see stderr)
  "reset"     the guest asked for a reset (triple fault, keyboard-controller
              reset from kernel_reboot)
  "shutdown"  the guest shut down some other way (ACPI soft-off)
  "timeout"   nothing ended it in time: a hang
  "flood"     it printed more than MAX_OUTPUT bytes: an endless printing loop
  "stuck"     the kernel said it was finished but QEMU did not exit
For reset, shutdown, timeout and flood, Machine.stop_report holds the
registers and a symbolised backtrace taken before QEMU was stopped."""
import bisect
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from . import sandbox
from .protocol import FINAL_KINDS, FrameScanner, parse

QEMU = "qemu-system-x86_64"
QEMU_MACHINE = ["-accel", "tcg", "-M", "q35", "-m", "128M", "-cpu", "qemu64", "-no-reboot",
                "-display", "none", "-nodefaults", "-serial", "stdio",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]

MAX_OUTPUT = 1 << 20     # bytes of serial output kept; more is a flood (an endless loop)
DRAIN_SECONDS = 3.0      # how long the output of a finished run is read at most
FINAL_GRACE = 3.0        # seconds QEMU gets to exit after the kernel's last frame
QMP_CONNECT_SECONDS = 30.0
BACKTRACE_FRAMES = 24


class QemuMissing(Exception):
    """qemu-system-x86_64 is not installed."""

    def __init__(self):
        super().__init__(f"{QEMU} is not installed, so no kernel can boot. Install it with "
                         "`sudo apt-get install qemu-system-x86` (or `make deps`); `make doctor` "
                         "checks everything Keel needs.")


def programs_archive_args(kernel_elf):
    """-initrd for the boot archive of user programs the build puts next to
    a lab's kernel (labs with LAB_PROGRAMS), or nothing."""
    archive = os.path.join(os.path.dirname(kernel_elf), "programs.cpio")
    return ["-initrd", archive] if os.path.exists(archive) else []


# ---- one QEMU ---------------------------------------------------------------------
class Machine:
    """A running QEMU. Use as a context manager; the process is always killed."""

    def __init__(self, kernel_elf, cmdline, workdir, nonce=None, extra_args=()):
        self._init_run(kernel_elf, cmdline, workdir, nonce)
        sockets = self.workdir
        if len(os.path.join(sockets, "monitor.sock")) > 100:  # unix socket paths are short
            sockets = tempfile.mkdtemp(prefix="keel-")
            self._socket_dir = sockets
        else:
            self._socket_dir = None
        self.monitor_path = os.path.join(sockets, "monitor.sock")
        self.qmp_path = os.path.join(sockets, "qmp.sock")
        self.stderr_path = os.path.join(self.workdir, "qemu.stderr")
        for path in (self.monitor_path, self.qmp_path):
            if os.path.exists(path):
                os.unlink(path)
        # The nonce does not go on QEMU's command line, which the guest can
        # read back through fw_cfg: the framework reads it from the serial line.
        append = f"{cmdline} keel.nonce=console".strip()
        self.command = [QEMU, *QEMU_MACHINE, "-no-shutdown", "-kernel", kernel_elf,
                        "-append", append,
                        "-monitor", f"unix:{self.monitor_path},server=on,wait=off",
                        "-qmp", f"unix:{self.qmp_path},server=on,wait=on",
                        *programs_archive_args(kernel_elf), *extra_args]
        if shutil.which(QEMU) is None:
            raise QemuMissing()
        with open(self.stderr_path, "wb") as stderr:
            self.start_time = time.monotonic()
            self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=stderr,
                                            cwd=self.workdir)
        self._stdout_fd = self.process.stdout.fileno()
        self.send(f"\n\n@nonce:{self.nonce}\n")
        self._connect_qmp()

    def _init_run(self, kernel_elf, cmdline, workdir, nonce):
        """The state of one run, whatever runs the kernel."""
        self.kernel_elf = kernel_elf
        self.nonce = nonce or secrets.token_hex(8)
        self.cmdline = f"{cmdline} keel.nonce={self.nonce}".strip()
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.raw = b""
        self.exit_code = None
        self.ended = None
        self.stop_report = ""
        self.shutdown_reason = None
        self.final_frame = None          # (kind, text) of the first frame ending the run
        self._final_at = None
        self._scanner = FrameScanner(self.nonce)
        self._cache = (None, None)
        self._qmp = None
        self._qmp_buffer = b""
        self._socket_dir = None
        self._stdout_open = True

    # ---- life cycle --------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()

    @property
    def running(self):
        return self.process.poll() is None and self.shutdown_reason is None

    @property
    def finished(self):
        """QEMU has exited and all its output has been read."""
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
        if self._qmp is not None:
            self._qmp.close()
            self._qmp = None
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
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

    # ---- output ------------------------------------------------------------------
    def transcript(self):
        if self._cache[0] != len(self.raw):
            self._cache = (len(self.raw), parse(self.raw, self.nonce))
        return self._cache[1]

    def mark(self):
        """A position in the output, for wait_text(after=...) and since()."""
        return len(self.raw)

    def since(self, mark):
        """The output after `mark` as text, line ends folded to \\n."""
        text = self.raw[mark:].decode("utf-8", errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def send(self, text):
        """Type text into the kernel's serial port. A machine that has already
        stopped ignores it (the next wait says what happened)."""
        try:
            self.process.stdin.write(text.encode())
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    # ---- waiting ---------------------------------------------------------------------
    def _drain(self):
        """Read what is left on stdout after QEMU exited (bounded: whatever
        still holds the pipe open does not hold the grader)."""
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
        if len(self.raw) < MAX_OUTPUT:
            self.raw += chunk[:MAX_OUTPUT - len(self.raw) + 1]
        for kind, text in self._scanner.feed(chunk):
            if kind in FINAL_KINDS and self.final_frame is None:
                self.final_frame = (kind, text)
                self._final_at = time.monotonic()

    def _pump(self, timeout):
        """Wait up to `timeout` s for serial output or a QMP message and take
        them in. Notices QEMU's exit."""
        fds = ([self._stdout_fd] if self._stdout_open else []) + \
              ([self._qmp] if self._qmp is not None else [])
        if not fds:
            try:
                self.process.wait(timeout=max(timeout, 0.01))
            except subprocess.TimeoutExpired:
                pass
        else:
            ready, _, _ = select.select(fds, [], [], max(timeout, 0))
            if self._qmp is not None and self._qmp in ready:
                self._qmp_read(block=False)
            if self._stdout_open and self._stdout_fd in ready:
                chunk = os.read(self._stdout_fd, 65536)
                if chunk:
                    self._got_output(chunk)
                else:
                    self._stdout_open = False
        if not self._stdout_open and self.exit_code is None:
            try:
                self.exit_code = self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.exit_code = self.process.wait()
            if self.ended is None:
                self.ended = "exit"

    def _settle(self):
        """Handle a guest reset/shutdown the QMP socket reported: read the
        CPU state, then let QEMU quit. Returns True if the run is over."""
        if self.shutdown_reason is None or self.ended is not None:
            return self.ended is not None
        self.ended = "reset" if self.shutdown_reason == "guest-reset" else "shutdown"
        self.stop_report = self.capture_state()
        try:
            self._qmp_execute("quit")
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while not self.finished and time.monotonic() < deadline:
            self._pump(0.2)
        self.kill()
        return True

    def wait_for(self, predicate, timeout):
        """Read output until predicate(transcript) holds (True), or the run
        ends or `timeout` s pass (False). A reset is handled on the way."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self.transcript()):
                return True
            if self._settle() or self.finished:
                self.kill()
                return predicate(self.transcript())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._pump(min(remaining, 0.25))

    def wait_text(self, text, timeout, after=0):
        """Wait until `text` appears in the raw output after position `after`
        (see mark()). Returns whether it did."""
        needle = text.encode()
        deadline = time.monotonic() + timeout
        while True:
            if needle in self.raw[after:]:
                return True
            if self._settle() or self.finished:
                self.kill()
                return needle in self.raw[after:]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._pump(min(remaining, 0.25))

    def run_to_end(self, timeout):
        """Read until the run ends (QEMU exits, the guest resets, the output
        floods) or `timeout` s pass (a hang: the CPU state is captured before
        QEMU is killed). Returns the transcript."""
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

    # ---- QMP ---------------------------------------------------------------------------
    def _connect_qmp(self):
        deadline = time.monotonic() + QMP_CONNECT_SECONDS
        while self.process.poll() is None and time.monotonic() < deadline:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.qmp_path)
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                time.sleep(0.005)
                continue
            self._qmp = sock
            try:
                self._qmp_read_message(timeout=QMP_CONNECT_SECONDS)  # the greeting
                self._qmp_execute("qmp_capabilities")
            except OSError:
                self._qmp_close()
            return
        # QEMU died before it listened (bad option, unloadable kernel): the
        # run ends as "exit" with its stderr; or it never listened at all.
        if self.process.poll() is None:
            self.process.kill()

    def _qmp_close(self):
        if self._qmp is not None:
            self._qmp.close()
            self._qmp = None

    def _qmp_read(self, block):
        """Take in whatever the QMP socket has (without waiting unless
        `block`); returns the parsed messages. SHUTDOWN events are noted."""
        if not block:
            ready, _, _ = select.select([self._qmp], [], [], 0)
            if not ready:
                return []
        try:
            chunk = self._qmp.recv(65536)
        except socket.timeout:
            raise
        except OSError:
            chunk = b""
        if chunk == b"":
            self._qmp_close()
            return []
        self._qmp_buffer += chunk
        messages = []
        while b"\n" in self._qmp_buffer:
            line, self._qmp_buffer = self._qmp_buffer.split(b"\n", 1)
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("event") == "SHUTDOWN" and self.shutdown_reason is None:
                self.shutdown_reason = (message.get("data") or {}).get("reason", "unknown")
            messages.append(message)
        return messages

    def _qmp_read_message(self, timeout):
        self._qmp.settimeout(timeout)
        try:
            while True:
                if self._qmp is None:
                    raise OSError("QMP connection closed")
                messages = self._qmp_read(block=True)
                if messages:
                    return messages
        finally:
            if self._qmp is not None:
                self._qmp.settimeout(None)

    def _qmp_execute(self, command, timeout=5.0, **arguments):
        """Run a QMP command; returns its "return" value, or raises OSError."""
        if self._qmp is None:
            raise OSError("no QMP connection")
        request = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        try:
            self._qmp.sendall(json.dumps(request).encode() + b"\n")
        except OSError:
            self._qmp_close()
            raise
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OSError(f"QMP {command} timed out")
            if command == "quit":  # QEMU may close the socket before answering
                try:
                    messages = self._qmp_read_message(remaining)
                except OSError:
                    return None
            else:
                messages = self._qmp_read_message(remaining)
            for message in messages:
                if "return" in message:
                    return message["return"]
                if "error" in message:
                    raise OSError(message["error"].get("desc", "QMP error"))

    # ---- looking inside a stopped or hung kernel ------------------------------------------
    def monitor_command(self, command, timeout=5.0):
        """Run one HMP monitor command (e.g. "info registers") and return its
        output: through QMP when connected, else through the HMP socket."""
        if self._qmp is not None:
            text = self._qmp_execute("human-monitor-command", timeout=timeout,
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


_function_starts = {}


def function_start(elf, address):
    """The start of the function (text symbol) holding `address`, from nm."""
    try:
        key = (elf, os.stat(elf).st_mtime)
    except OSError:
        return None
    if key not in _function_starts:
        starts = []
        try:
            out = subprocess.run(["nm", "-n", "--defined-only", elf], capture_output=True,
                                 text=True, timeout=30).stdout
        except (OSError, subprocess.TimeoutExpired):
            out = ""
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tTwW":
                starts.append(int(parts[0], 16))
        _function_starts[key] = sorted(set(starts))
    starts = _function_starts[key]
    i = bisect.bisect_right(starts, address) - 1
    return starts[i] if i >= 0 else None


def hmp_command(path, command, timeout=5.0):
    """Run one command on an HMP monitor socket and return its output."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        data = b""
        while b"(qemu)" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise OSError("the monitor closed the connection")
            data += chunk
        s.sendall(command.encode() + b"\n")
        data = b""
        while b"(qemu)" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return clean_hmp_output(data.decode(errors="replace"), command)


def clean_hmp_output(text, command):
    """Strip the HMP prompt and the echo of the command (with the terminal
    escape sequences of its line editor)."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text.replace("\r", ""))
    lines = [l for l in text.split("\n")
             if not l.startswith("(qemu)") and command not in l]
    return "\n".join(lines).strip()


# ---- turning monitor output into something to read -----------------------------------------
def register(dump, name):
    """A register's value from `info registers` output, or None."""
    match = re.search(rf"(?<![A-Z0-9]){name}\s*=\s*([0-9a-fA-F]+)", dump)
    return int(match.group(1), 16) if match else None


def parse_memory_dump(text):
    """The values of an HMP `x /Ngx` dump ("ffff...: 0x... 0x...")."""
    values = []
    for line in text.splitlines():
        if ":" in line:
            values += [int(v, 16) for v in re.findall(r"0x([0-9a-fA-F]+)", line.split(":", 1)[1])]
    return values


_SHOWN_REGISTERS = re.compile(r"^(RAX|RSI|R8 |R12|RIP|CS |SS |GDT|IDT|CR0)")


def short_registers(dump):
    keep = [l.rstrip() for l in dump.splitlines() if _SHOWN_REGISTERS.match(l)]
    return "\n".join("  " + l for l in keep) if keep else dump


def describe_state(registers, chain, kernel_elf):
    """Registers and a backtrace as text for a student."""
    lines = ["Registers:", short_registers(registers)]
    idt = re.search(r"^IDT=\s*([0-9a-f]+)\s+([0-9a-f]+)", registers, re.M)
    if idt and int(idt.group(2), 16) == 0:
        lines.append("  (the interrupt descriptor table is empty (IDT limit 0): the CPU cannot "
                     "deliver any exception, so the first one becomes a triple fault)")
    lines += ["", "Where the CPU was (most recent call first):"]
    if not chain:
        lines.append("  (no instruction pointer: no backtrace)")
        return "\n".join(lines)
    where = symbolise(kernel_elf, [a - 1 if ret else a for a, ret in chain])
    shown = 0
    for i, ((address, is_return), names) in enumerate(zip(chain, where)):
        if i > 0 and names[0][0] == "??":  # the chain has left the kernel's code
            break
        function, place = names[0]
        lines.append(f"  #{i:<2} {address:#018x} {function} ({place})")
        for function, place in names[1:]:
            lines.append(f"      inlined into {function} ({place})")
        shown += 1
    if chain and where and where[0][0][0] == "??":
        lines.append("      (RIP is outside the kernel's code: a jump through a bad pointer, "
                     "or a return with a corrupted stack?)")
    return "\n".join(lines)


def symbolise(elf, addresses):
    """For each address, [(function, "file:line")], innermost first (more
    than one when the compiler inlined functions there). Uses addr2line."""
    if not addresses:
        return []
    unknown = [[("??", "?")] for _ in addresses]
    if not shutil.which("addr2line"):
        return unknown
    try:
        result = subprocess.run(["addr2line", "-a", "-f", "-i", "-e", elf,
                                 *[f"{a:#x}" for a in addresses]],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return unknown
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(elf)))))
    return parse_addr2line(result.stdout, len(addresses), root) or unknown


def parse_addr2line(output, count, root=None):
    """Parse `addr2line -a -f -i` output: per address a "0x..." line, then
    function / file:line pairs."""
    entries = []
    lines = output.splitlines()
    i = 0
    while i < len(lines):
        if re.fullmatch(r"0x[0-9a-fA-F]+", lines[i].strip()):
            entries.append([])
            i += 1
            continue
        if entries and i + 1 < len(lines):
            function, place = lines[i].strip(), lines[i + 1].strip()
            place = re.sub(r"\s*\(discriminator \d+\)", "", place)
            if root and place.startswith(root + os.sep):
                place = os.path.relpath(place, root)
            entries[-1].append((function, place))
            i += 2
            continue
        i += 1
    if len(entries) != count:
        return None
    return [e or [("??", "?")] for e in entries]


def on_linux(kernel_elf):
    """Whether `kernel_elf` was built for the Linux platform (a program)."""
    return "linux" in os.path.basename(os.path.dirname(kernel_elf)).split("-")


def start_machine(kernel_elf, cmdline, workdir):
    """A running kernel: QEMU for a PC kernel, the process itself for a
    Linux-platform one."""
    if on_linux(kernel_elf):
        return LinuxMachine(kernel_elf, cmdline, workdir)
    return Machine(kernel_elf, cmdline, workdir)


def boot(kernel_elf, cmdline, workdir, timeout, send=None):
    """Boot, optionally type `send`, and read until the run ends (see
    Machine.run_to_end). Returns the finished Machine."""
    machine = start_machine(kernel_elf, cmdline, workdir)
    try:
        if send:
            machine.send(send)
        machine.run_to_end(timeout)
    finally:
        machine.kill()
    return machine


# ---- one Linux-platform kernel ------------------------------------------------------
class LinuxMachine(Machine):
    """A kernel built with PLATFORM=linux, running as a process: its serial
    port is the process's stdin/stdout (AddressSanitizer's reports, on
    stderr, are folded into the same stream, in order). It exits with
    QEMU's isa-debug-exit codes, or LINUX_EXIT_RESET when it rebooted. A hang
    is stopped with SIGUSR2, on which the kernel prints its registers and
    backtrace itself."""

    EXIT_RESET = 64
    HANG_SIGNAL = signal.SIGUSR2

    def __init__(self, kernel_elf, cmdline, workdir, nonce=None, extra_args=()):
        self._init_run(kernel_elf, cmdline, workdir, nonce)
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
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, cwd=self.workdir,
                pass_fds=[fd for fd in (line_read, info_write) if fd is not None],
                preexec_fn=sandbox.limiter(sandbox.RUN_LIMITS))
        finally:
            for fd in (line_read, info_write):
                if fd is not None:
                    os.close(fd)
        with os.fdopen(line_write, "w") as line:
            line.write(self.cmdline)
        self.kernel_pid = self.process.pid
        if info_read is not None:
            self.kernel_pid = _sandboxed_pid(info_read) or self.kernel_pid
        self._stdout_fd = self.process.stdout.fileno()

    def stderr_text(self):
        return ""  # folded into the output

    def _pump(self, timeout):
        super()._pump(timeout)
        if self.ended == "exit" and self.exit_code == self.EXIT_RESET:
            self.ended = "reset"
            self.stop_report = "(the kernel asked for a reset; it printed where above)"

    def capture_state(self):
        """Have the kernel print where it is, and return what it printed."""
        mark = self.mark()
        try:
            os.kill(self.kernel_pid, self.HANG_SIGNAL)
        except OSError as error:
            return f"(could not signal the kernel: {error})"
        deadline = time.monotonic() + 3
        while self._stdout_open and time.monotonic() < deadline:
            self._pump(0.1)
        report = self.since(mark).strip()
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
