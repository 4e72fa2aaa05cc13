"""Every lab's own demo (its main.c, lab_main) under the three tools a
student boots it with, `make qemu`, `make bochs` and `make linux`: on the
reference solution it shows what the lab does; on the untouched skeleton it
says what is not written yet, or stops with a clear report; either way the
tool ends by itself and leaves no emulator behind. (Before: `make linux
LAB=lab2-mm` crashed a 100/100 solution, writing where the Linux platform
backs nothing.)

Each demo runs as a student runs it, on a terminal of its own (a pty, in a
session of its own; Bochs's serial port needs a terminal), with a unique tag
in its environment that every process it starts inherits. The monitors of
labs 1 and 3 are typed into: `help`, then `reboot`, which ends QEMU
(-no-reboot) and the Linux process; Bochs resets instead, so there the
terminal is closed, as a student closing the window would. Every run is
bounded by DEMO_SECONDS."""
import os
import pty
import select
import shutil
import signal
import subprocess
import time
import uuid

import pytest

from test_no_orphans import TAG, tagged

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO_SECONDS = 90  # Bochs boots in ~3 s on an idle machine; the suite loads it
GONE_SECONDS = 20
TOOLS = ("linux", "qemu", "bochs")
MONITOR = ["Keel monitor. Type 'help' for a list of commands.", "K> "]
HELP = ["help       list the commands", "reboot     restart the machine"]

# lab: (what the solution's demo prints, what the skeleton's prints)
DEMOS = {
    "lab1-boot": (["Welcome to Keel. Booted by", "Total usable memory:", *MONITOR],
                  ["(memmap_print is not written yet: lab1-boot/memmap.c)",
                   "The monitor is not written yet (lab1-boot/monitor.c); stopping."]),
    "lab2-mm": (["Installing the buddy allocator...", "Building a page table and switching to it",
                 "read back 0x4b45454c through the direct map. The kernel kept running on your "
                 "page table."],
                ["Could not map a page (is pt_map written yet?)."]),
    "lab3-trap": (["timer ticks in the first 50 ms", *MONITOR],
                  ["CPU EXCEPTION 48", "vector 48 (the local APIC timer, started by timer_start) "
                   "has no handler"]),
    "lab4-sched": (["Scheduler: round robin. Three threads take turns:", "third: round 2",
                    "All threads joined."],
                   ["thread_create or thread_join is not working yet."]),
    "lab5-user": (["programs in the boot archive.", "Hello from hello with 1 arguments",
                   "'hello' ended with wait status 0x300"],
                  ["could not start 'hello' (is process_spawn written?)"]),
}
# What a working demo never prints.
CRASHES = ["CPU EXCEPTION", "KERNEL PANIC", "BUG CAUGHT", "AddressSanitizer", "exited with status"]


class Demo:
    """`make TOOL LAB=… [SOLUTION=1]` on a terminal of its own."""

    def __init__(self, tool, lab, solution):
        self.tag = uuid.uuid4().hex
        self.master, slave = pty.openpty()
        command = ["make", "--no-print-directory", "-s", tool, f"LAB={lab}",
                   f"SOLUTION={'1' if solution else ''}"]
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=slave, stdout=slave, stderr=slave,
                                        start_new_session=True,
                                        env=dict(os.environ, **{TAG: self.tag}))
        os.close(slave)
        self.output = b""
        self.seen = 0  # where in text() the next expected text is looked for
        self.deadline = time.monotonic() + DEMO_SECONDS

    def text(self):
        return self.output.decode(errors="replace").replace("\r", "")

    def _read(self, wait):
        ready, _, _ = select.select([self.master], [], [], wait)
        if not ready:
            return True
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: every process holding the terminal has gone
            data = b""
        self.output += data
        return bool(data)

    def expect(self, text):
        """Read until `text` has appeared after what was seen so far."""
        while (at := self.text().find(text, self.seen)) < 0:
            left = self.deadline - time.monotonic()
            assert left > 0 and self._read(min(left, 0.5)), \
                f"no {text!r} within {DEMO_SECONDS} s; the demo printed:\n{self.text()[-3000:]}"
        self.seen = at + len(text)

    def type(self, line):
        os.write(self.master, line.encode() + b"\r")

    def wait_for_end(self):
        """Read until the tool has ended by itself; its exit status."""
        while self.process.poll() is None:
            left = self.deadline - time.monotonic()
            assert left > 0, f"the demo did not end within {DEMO_SECONDS} s; it printed:\n" \
                f"{self.text()[-3000:]}"
            self._read(min(left, 0.2))
        while self._read(0.05) and select.select([self.master], [], [], 0)[0]:
            pass
        return self.process.returncode

    def hang_up(self):
        """Close the terminal, as closing the window does; wait for the tool."""
        os.close(self.master)
        self.master = None
        try:
            return self.process.wait(timeout=GONE_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"closing its terminal did not end the demo:\n{self.text()[-3000:]}")

    def left_behind(self):
        deadline = time.monotonic() + GONE_SECONDS
        while (left := tagged(self.tag)) and time.monotonic() < deadline:
            time.sleep(0.2)
        return left

    def close(self):
        for pid, _ in tagged(self.tag):  # never leave one behind, even on failure
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if self.master is not None:
            os.close(self.master)


@pytest.fixture(scope="module")
def built(tree_make):
    """Build each demo's kernel (and ISO) once, under the tree's build lock:
    the demos' own makes then have nothing to build."""
    done = set()

    def build(lab, solution, tool):
        key = (lab, solution, tool == "linux")
        if key not in done:
            goal = ["kernel", "PLATFORM=linux"] if tool == "linux" else ["iso"]
            tree_make("-s", *goal, f"LAB={lab}", f"SOLUTION={'1' if solution else ''}", check=True,
                      stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            done.add(key)
    return build


CASES = [pytest.param(lab, solution, tool, id=f"{lab}-{'solution' if solution else 'skeleton'}-{tool}")
         for lab in DEMOS for solution in (True, False) for tool in TOOLS]


@pytest.mark.parametrize("lab,solution,tool", CASES)
def test_demo(built, lab, solution, tool):
    if tool == "bochs" and not shutil.which("bochs"):
        pytest.skip("Bochs is not installed")
    built(lab, solution, tool)
    expected = DEMOS[lab][0 if solution else 1]
    demo = Demo(tool, lab, solution)
    try:
        for text in expected:
            demo.expect(text)
        monitor = solution and MONITOR[0] in expected
        if monitor:
            demo.type("help")
            for text in HELP:
                demo.expect(text)
        if monitor and tool == "bochs":  # a reset reboots Bochs: close its terminal instead
            demo.hang_up()
        else:
            if monitor:
                demo.type("reboot")
                demo.expect("Keel: rebooting")
            assert demo.wait_for_end() == 0, demo.text()[-3000:]
        left = demo.left_behind()
        assert not left, f"make {tool} LAB={lab} left {left} running"
        if solution:
            crashed = [c for c in CRASHES if c in demo.text()]
            assert not crashed, f"the reference's demo printed {crashed}:\n{demo.text()[-3000:]}"
    finally:
        demo.close()


@pytest.mark.parametrize("lab", ["lab1-boot", "lab3-trap"])
def test_a_monitor_ends_with_its_input_on_linux(built, lab):
    """make linux with its input from a pipe or file: the monitor runs what
    came, then ends the run when the input ends (console_getc_blocking),
    instead of waiting for ever for more."""
    built(lab, True, "linux")
    run = subprocess.run(["make", "--no-print-directory", "-s", "linux", f"LAB={lab}", "SOLUTION=1"],
                         cwd=ROOT, input=b"help\r", capture_output=True, timeout=DEMO_SECONDS)
    text = run.stdout.decode(errors="replace").replace("\r", "")
    assert run.returncode == 0 and HELP[0] in text, text[-3000:]
    assert "[the console's input ended (end of file): nothing more can be typed, so the run " \
        "ends here]" in text, text[-3000:]
    assert "exited with status" not in text, text[-3000:]


def test_lab5_runs_the_programs_keel_run_names(built):
    """Lab 5's main.c runs every program keel.run= names, in turn, instead of
    hello, and says what became of each."""
    built("lab5-user", True, "linux")
    run = subprocess.run(["make", "--no-print-directory", "-s", "linux", "LAB=lab5-user",
                          "SOLUTION=1", "CMDLINE=keel.run=argecho,nosuch,divzero"], cwd=ROOT,
                         stdin=subprocess.DEVNULL, capture_output=True, timeout=DEMO_SECONDS)
    text = run.stdout.decode(errors="replace").replace("\r", "")
    lines = [line for line in text.splitlines() if "ended with" in line or "no program" in line]
    assert lines == ["'argecho' ended with wait status 0x700",
                     "no program 'nosuch' in the boot archive",
                     "'divzero' ended with wait status 0x8"], text[-3000:]
    assert "Hello from hello" not in text and "argecho: argv[0]=[argecho]" in text
