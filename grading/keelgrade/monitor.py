"""QEMU's two monitors, as the grader talks to them: QMP (JSON on a unix
socket: it tells the grader at once when the guest resets, and runs monitor
commands for it) and HMP (the human monitor on a unix socket, for a person
poking at a live machine and as a fallback for the same commands)."""
import json
import re
import select
import socket
import time

QMP_CONNECT_SECONDS = 30.0


class Qmp:
    """A QMP connection to one QEMU. `shutdown_reason` is set when QEMU
    reports that the guest reset or shut down (a SHUTDOWN event)."""

    def __init__(self, path):
        self.path = path
        self.socket = None
        self.shutdown_reason = None
        self._buffer = b""

    @property
    def connected(self):
        return self.socket is not None

    def connect(self, process):
        """Connect once QEMU (`process`) listens, and negotiate. If QEMU dies
        first (a bad option, a kernel it cannot load), the run ends as "exit"
        with its stderr; if it never listens, it is killed."""
        deadline = time.monotonic() + QMP_CONNECT_SECONDS
        while process.poll() is None and time.monotonic() < deadline:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(self.path)
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                time.sleep(0.005)
                continue
            self.socket = sock
            try:
                self._read_message(timeout=QMP_CONNECT_SECONDS)  # the greeting
                self.execute("qmp_capabilities")
            except OSError:
                self.close()
            return
        if process.poll() is None:
            process.kill()

    def close(self):
        if self.socket is not None:
            self.socket.close()
            self.socket = None

    def read(self, block):
        """Take in whatever the socket has (without waiting unless `block`);
        returns the parsed messages. SHUTDOWN events are noted."""
        if not block:
            ready, _, _ = select.select([self.socket], [], [], 0)
            if not ready:
                return []
        try:
            chunk = self.socket.recv(65536)
        except socket.timeout:
            raise
        except OSError:
            chunk = b""
        if chunk == b"":
            self.close()
            return []
        self._buffer += chunk
        messages = []
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
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

    def _read_message(self, timeout):
        self.socket.settimeout(timeout)
        try:
            while True:
                if self.socket is None:
                    raise OSError("QMP connection closed")
                messages = self.read(block=True)
                if messages:
                    return messages
        finally:
            if self.socket is not None:
                self.socket.settimeout(None)

    def execute(self, command, timeout=5.0, **arguments):
        """Run a QMP command; returns its "return" value, or raises OSError."""
        if self.socket is None:
            raise OSError("no QMP connection")
        request = {"execute": command}
        if arguments:
            request["arguments"] = arguments
        try:
            self.socket.sendall(json.dumps(request).encode() + b"\n")
        except OSError:
            self.close()
            raise
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OSError(f"QMP {command} timed out")
            if command == "quit":  # QEMU may close the socket before answering
                try:
                    messages = self._read_message(remaining)
                except OSError:
                    return None
            else:
                messages = self._read_message(remaining)
            for message in messages:
                if "return" in message:
                    return message["return"]
                if "error" in message:
                    raise OSError(message["error"].get("desc", "QMP error"))


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


def parse_memory_dump(text):
    """The values of an HMP `x /Ngx` dump ("ffff...: 0x... 0x...")."""
    values = []
    for line in text.splitlines():
        if ":" in line:
            values += [int(v, 16) for v in re.findall(r"0x([0-9a-fA-F]+)", line.split(":", 1)[1])]
    return values


def register(dump, name):
    """A register's value from `info registers` output, or None."""
    match = re.search(rf"(?<![A-Z0-9]){name}\s*=\s*([0-9a-fA-F]+)", dump)
    return int(match.group(1), 16) if match else None
