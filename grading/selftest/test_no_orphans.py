"""Every emulator the tools start dies with them. Each tool is started in a
session of its own on a pseudo-terminal (its controlling terminal, as a
user's), with a unique tag in its environment that every process it starts
inherits; once its emulator runs, the tool is ended as a user or CI ends it
(SIGTERM, SIGKILL, timeout(1), SIGHUP from the shell when its terminal
closes, or the terminal closing under the tool itself), and no process with the tag may remain. (Before: `make bochs` left
script and bochs-bin running, `make qemu` left QEMU on SIGHUP.)"""
import fcntl
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import termios
import threading
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATORS = {b"qemu-system-x86", b"bochs-bin", b"kernel.elf"}
TAG = "KEEL_ORPHAN_TAG"
STARTUP_SECONDS = 120  # a first build of the ISO included
GONE_SECONDS = 20
TIMEOUT_SECONDS = 6
IDLE = os.path.join(ROOT, "build", "orphan-test-idle")


def tagged(tag):
    """(pid, command name) of every process whose environment has the tag."""
    found = []
    entry = f"{TAG}={tag}".encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if entry not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{pid}/comm", "rb") as f:
                found.append((int(pid), f.read().strip()))
        except OSError:
            continue
    return found


def controlling_terminal():
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Tool:
    """A tool on a pty of its own, ended by `ending` once its emulator runs."""

    def __init__(self, command, env=None, under_shell=False):
        self.tag = uuid.uuid4().hex
        self.master, slave = pty.openpty()
        if under_shell:  # a shell leads the session and stays, the tool is its child
            command = ["sh", "-c", '"$@"; read -r line', "sh", *command]
        self.under_shell = under_shell
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=slave, stdout=slave,
                                        stderr=slave, start_new_session=True,
                                        preexec_fn=controlling_terminal,
                                        env=dict(os.environ, **(env or {}), **{TAG: self.tag}))
        os.close(slave)
        self.output = b""
        self.hang_up = threading.Event()
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    def _drain(self):
        """Read the terminal; close it (the terminal goes away) when asked:
        closed under a blocked read, it would stay open until the read ends."""
        while not self.hang_up.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.1)
            try:
                data = os.read(self.master, 4096) if ready else b""
            except OSError:
                data = b""
            self.output += data
        os.close(self.master)

    def wait_for_emulator(self):
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if any(name in EMULATORS for _, name in tagged(self.tag)):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        pytest.fail(f"no emulator started; the tool said: {self.output[-1500:]!r}")

    def end(self, ending):
        if ending == "hangup":  # the tool leads the session: it gets SIGHUP
            self.hang_up.set()
        elif ending == "hup":  # as a shell passes its own SIGHUP on to its jobs
            os.killpg(self.process.pid, signal.SIGHUP)
        elif ending == "timeout":
            pass  # timeout(1) in the command ends it
        else:
            pid = self.process.pid
            if self.under_shell:
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    pid = int(f.read().split()[0])
            os.kill(pid, {"term": signal.SIGTERM, "kill": signal.SIGKILL}[ending])

    def left_behind(self):
        deadline = time.monotonic() + GONE_SECONDS
        while time.monotonic() < deadline:
            left = [p for p in tagged(self.tag) if p[0] != self.process.pid]
            if not left and (self.under_shell or self.process.poll() is not None):
                return []
            time.sleep(0.2)
        return left

    def close(self):
        for pid, _ in tagged(self.tag):  # never leave one behind, even on failure
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.hang_up.set()
        self.drain.join()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def make(*goals):
    return ["make", "--no-print-directory", *goals]


@pytest.fixture(scope="module")
def built(tree_make):
    # Under the tree's build lock (conftest.py): other workers build in the
    # same build/ directory at the same time.
    for goal in (["iso"], ["kernel", "PLATFORM=linux"], ["kernel"]):
        tree_make("-s", *goal, "LAB=complete", check=True, stdout=subprocess.DEVNULL,
                  stdin=subprocess.DEVNULL)
    os.makedirs(os.path.dirname(IDLE), exist_ok=True)
    source = f"{IDLE}-{os.getpid()}.c"
    with open(source, "w") as f:  # waits on its terminal: Ctrl-D never comes
        f.write("#include <unistd.h>\nint main(void) { char c; while (read(0, &c, 1) > 0) {}"
                " return 0; }\n")
    # Each worker compiles its own copy and renames it into place whole.
    subprocess.run(["musl-gcc", "-static", "-o", f"{IDLE}-{os.getpid()}", source], check=True)
    os.replace(f"{IDLE}-{os.getpid()}", IDLE)
    os.unlink(source)


def keel_run(platform):
    return (["tools/keel-run", IDLE], {"PLATFORM": platform})


TOOLS = {
    "make qemu": (make("qemu"), {}),
    "make qemu-gdb": (make("qemu-gdb"), {"GDB_SOCKET": "/tmp/keel-orphan-test-gdb.sock"}),
    "make linux": (make("linux"), {}),
    "make bochs": (make("bochs"), {}),
    "make run": (make("run", f"PROG={IDLE}"), {}),
    # gdb starts the replaying QEMU itself (recording the test first if needed).
    "make replay": (make("replay", "LAB=framework-tests", "SOLUTION=1",
                         "TEST=crash_panic"), {}),  # not test_replay.py's test: it runs alongside
    "keel-run pc": keel_run("pc"),
    "keel-run linux": keel_run("linux"),
}
CASES = [(tool, ending) for tool in TOOLS for ending in ("term", "hup", "hangup", "timeout")] + \
    [("keel-run pc", "kill"), ("keel-run linux", "kill")]


@pytest.mark.parametrize("tool,ending", CASES)
def test_no_emulator_outlives_its_tool(built, tool, ending):
    command, env = TOOLS[tool]
    if tool == "make bochs" and not shutil.which("bochs"):
        pytest.skip("Bochs is not installed")
    if ending == "timeout":
        command = ["timeout", str(TIMEOUT_SECONDS), *command]
    if tool == "make qemu-gdb":
        env = {"GDB_SOCKET": f"/tmp/keel-orphan-{uuid.uuid4().hex[:8]}.sock"}
    # Signalled alone, the tool must not lead the session: its end would
    # send SIGHUP to everything it started.
    running = Tool(command, env, under_shell=ending in ("term", "kill"))
    try:
        running.wait_for_emulator()
        running.end(ending)
        left = running.left_behind()
        assert not left, f"{tool} ended by {ending} left {left} running"
    finally:
        running.close()


def test_a_killed_grader_leaves_no_emulator(built, tmp_path):
    """A grader killed outright (SIGKILL, as a CI job's hard timeout does)."""
    script = tmp_path / "grader.py"
    script.write_text(f"""
import sys, time
sys.path.insert(0, {os.path.join(ROOT, 'grading')!r})
from keelgrade.lab import Lab
for platform in ("pc", "linux"):
    lab = Lab({ROOT!r}, "complete", solution=True, checked=False, platform=platform)
    machine = lab.start({str(tmp_path / 'runs')!r} + platform).__enter__()
    lab.expect_text(machine, "$ ", "the shell's prompt", multiplier=3)  # booted
print("started", flush=True)
time.sleep(600)
""")
    tag = uuid.uuid4().hex
    grader = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                              env=dict(os.environ, **{TAG: tag}), cwd=ROOT)
    try:
        assert grader.stdout.readline() == b"started\n"
        assert {name for _, name in tagged(tag)} >= {b"qemu-system-x86"}
        grader.kill()
        grader.wait()
        deadline = time.monotonic() + GONE_SECONDS
        while tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [(pid, name, open(f"/proc/{pid}/cmdline", "rb").read()[:300]) for pid, name in tagged(tag)]
        assert not left, f"the killed grader left {left} running"
    finally:
        for pid, _ in tagged(tag):
            os.kill(pid, signal.SIGKILL)
