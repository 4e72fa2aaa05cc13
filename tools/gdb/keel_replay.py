"""Going backwards in a QEMU replay (make replay), loaded after keel.py.

A recording (build/<lab>/<variant>/replays/<test>/, made by make grade when
an in-kernel test fails on the PC) holds QEMU's log of everything
non-deterministic in the run: replaying it repeats the run instruction for
instruction. QEMU 7.2's own reverse execution (reverse-continue, and the
reverse-next and reverse-finish gdb builds on it) deadlocks the emulator now
and then, so these commands go backwards with what is reliable: the replay
is restarted from its beginning and run forward to an instruction count
(QEMU's replay_break), noting where breakpoints and watchpoints stopped it.

Commands:
  keel-replay-open DIR      start the replay of the recording in DIR and attach
  keel-reverse-continue     back to the last breakpoint or watchpoint hit before here
  keel-reverse-finish       back to where the current function was called
  keel-reverse-stepi        back one instruction
  keel-replay-goto N        to instruction N of the recording
  keel-replay-where         the replay's instruction count and where the CPU is
gdb's reverse-continue (rc), reverse-finish and reverse-stepi (rsi) run these
in a replay; reverse-next and reverse-step say what to use instead. A
watchpoint found going backwards stops the replay just before the store
that changed the watched memory. Forward commands (continue, step, next,
finish, watch) work as on any gdb target. KEEL_REPLAY_TRACE=1 in the
environment shows the commands they run underneath, with their times."""
import atexit
import ctypes
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

import gdb


def _say(text=""):
    gdb.write(text + "\n")
    gdb.flush()


def _quietly(command):
    started = time.monotonic()
    try:
        return gdb.execute(command, to_string=True)
    finally:
        if os.environ.get("KEEL_REPLAY_TRACE"):
            _say(f"[{command}: {time.monotonic() - started:.2f} s]")


class _Silenced:
    """gdb's own reports of the stops on the way (the replay restarted, run
    to an instruction, breakpoints passed) would read like answers: gdb's
    output goes to /dev/null meanwhile (its stop reports ignore to_string)."""

    def __enter__(self):
        gdb.flush()
        self.saved = os.dup(1)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)

    def __exit__(self, *exc):
        gdb.flush()
        os.dup2(self.saved, 1)
        os.close(self.saved)


class _Replay:
    """The QEMU replaying the recording (a child of this gdb) and how to
    start another."""
    directory = None
    process = None
    socket = None


def _die_with_gdb():
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _stop_qemu():
    if _Replay.process is not None and _Replay.process.poll() is None:
        _Replay.process.kill()
        _Replay.process.wait()
    _Replay.process = None


def start_replay():
    """(Re)start QEMU on the recording, paused at its first instruction,
    and attach this gdb to it."""
    directory = _Replay.directory
    if directory is None:
        raise gdb.GdbError("no recording is open: keel-replay-open DIR (make replay does it)")
    try:
        _quietly("disconnect")
    except gdb.error:
        pass
    _stop_qemu()
    with open(os.path.join(directory, "qemu-args")) as f:
        args = [line for line in f.read().split("\n") if line]
    if _Replay.socket is None:  # unix socket paths are short: not in the recording's directory
        _Replay.socket = os.path.join(tempfile.mkdtemp(prefix="keel-replay-"), "gdb.sock")
        atexit.register(shutil.rmtree, os.path.dirname(_Replay.socket), True)
    if os.path.exists(_Replay.socket):
        os.unlink(_Replay.socket)
    log = open(os.path.join(directory, "replay.log"), "ab")
    _Replay.process = subprocess.Popen(
        args + ["-S", "-chardev", f"socket,path={_Replay.socket},server=on,wait=off,id=keelgdb",
                "-gdb", "chardev:keelgdb"],
        cwd=directory, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
        preexec_fn=_die_with_gdb)
    log.close()
    for _ in range(200):
        if os.path.exists(_Replay.socket) or _Replay.process.poll() is not None:
            break
        time.sleep(0.02)
    if _Replay.process.poll() is not None:
        raise gdb.GdbError(f"QEMU could not replay the recording: see {directory}/replay.log")
    for attempt in range(50):  # the socket may exist a moment before QEMU listens on it
        try:
            _quietly(f"target remote {_Replay.socket}")
            return
        except gdb.error:
            if attempt == 49 or _Replay.process.poll() is not None:
                raise
            time.sleep(0.02)


def icount():
    """The replay's instruction count, from QEMU's monitor."""
    try:
        out = gdb.execute("monitor info replay", to_string=True)
    except gdb.error as error:
        if _Replay.directory is not None:
            raise gdb.GdbError("the replay is not running (did it run past the end of the "
                               "recording, where the kernel powered off?): keel-replay-open "
                               f"{_Replay.directory} starts it again") from None
        raise gdb.GdbError(f"this gdb is not attached to a QEMU replay ({error}); "
                           "make replay LAB=... TEST=... starts one") from None
    found = re.search(r"instruction count = (\d+)", out)
    if not found:
        raise gdb.GdbError("this gdb is not attached to a QEMU replay (QEMU says: "
                           f"{out.strip()}); make replay LAB=... TEST=... starts one")
    return int(found.group(1))


class _Stops:
    """Whether the last resumption ended at a breakpoint or watchpoint."""

    def __init__(self):
        self.hit = None

    def __call__(self, event):
        if isinstance(event, gdb.BreakpointEvent):
            self.hit = event.breakpoints[0]


def _run_to(target):
    """Run forward until instruction `target` (QEMU stops the replay there)."""
    if icount() < target:
        _quietly(f"monitor replay_break {target}")
        _quietly("continue")


def seek(target):
    """Put the replay at instruction `target`: restart it and run there
    with every breakpoint out of the way."""
    enabled = [b for b in gdb.breakpoints() if b.enabled]
    for b in enabled:
        b.enabled = False
    try:
        with _Silenced():
            start_replay()
            _run_to(target)
    finally:
        for b in enabled:
            b.enabled = True


def last_hit_before(end, keep=None):
    """Run the replay from its start to instruction `end`, and return
    (instruction count, breakpoint) of the last breakpoint or watchpoint
    stop before `end` (or None). `keep(breakpoint)` may reject a stop."""
    stops = _Stops()
    gdb.events.stop.connect(stops)
    last = None
    try:
        with _Silenced():
            start_replay()
            while True:
                _quietly(f"monitor replay_break {end}")
                stops.hit = None
                _quietly("continue")
                now = icount()
                if stops.hit is None or now >= end:
                    break
                if keep is None or keep(stops.hit):
                    last = (now, stops.hit)
    finally:
        gdb.events.stop.disconnect(stops)
    return last


def _show_position():
    _say(gdb.execute("frame 0", to_string=True).rstrip())


def reverse_continue():
    if not [b for b in gdb.breakpoints() if b.enabled]:
        raise gdb.GdbError("no breakpoint or watchpoint to go back to: set one first "
                           "(e.g. watch -l VARIABLE, or break FUNCTION)")
    end = icount()
    _say(f"Going back from instruction {end}: replaying from the start of the recording...")
    found = last_hit_before(end)
    if found is None:
        seek(end)
        _say("Nothing triggered before here: the replay is back where it was.")
        _show_position()
        return
    at, breakpoint = found
    watch = breakpoint.type in (gdb.BP_WATCHPOINT, gdb.BP_HARDWARE_WATCHPOINT,
                                gdb.BP_ACCESS_WATCHPOINT, gdb.BP_READ_WATCHPOINT)
    # A watchpoint stops just after the store: go back one instruction, to
    # the store itself, as gdb's reverse-continue does.
    seek(at - 1 if watch else at)
    what = f"watchpoint {breakpoint.number} ({breakpoint.expression})" if watch \
        else f"breakpoint {breakpoint.number} ({breakpoint.location})"
    _say(f"The last time {what} triggered before here: instruction {icount()}"
         + (", just before the store that changed it" if watch else "") + ".")
    if watch:
        try:
            expression = breakpoint.expression.replace("-location ", "", 1)
            value = gdb.parse_and_eval(expression)
            _say(f"  {expression} before the store: {value.format_string(format='x')} ({value})")
        except gdb.error:
            pass
    _show_position()


class KeelReverseContinue(gdb.Command):
    """keel-reverse-continue     back to the last breakpoint or watchpoint hit before here (a replay)"""

    def __init__(self, name="keel-reverse-continue"):
        super().__init__(name, gdb.COMMAND_RUNNING)

    def invoke(self, argument, from_tty):
        reverse_continue()


class KeelReverseFinish(gdb.Command):
    """keel-reverse-finish       back to where the current function was called (a replay)"""

    def __init__(self, name="keel-reverse-finish"):
        super().__init__(name, gdb.COMMAND_RUNNING)

    def invoke(self, argument, from_tty):
        frame = gdb.selected_frame()
        function = frame.function()
        if function is None:
            raise gdb.GdbError("no function known here to go back out of")
        entry = int(function.value().address)
        end = icount()
        pc = gdb.Breakpoint(f"*{entry:#x}", internal=False)
        try:
            found = last_hit_before(end, keep=lambda b: b.number == pc.number)
        finally:
            pc.delete()
        if found is None:
            seek(end)
            raise gdb.GdbError(f"{function.name} was entered before the recording starts")
        seek(found[0] - 1)  # the call instruction, before it ran
        _say(f"Back in the caller of {function.name}, at the call (instruction {icount()}):")
        _show_position()


class KeelReverseStepi(gdb.Command):
    """keel-reverse-stepi        back one instruction (a replay)"""

    def __init__(self):
        super().__init__("keel-reverse-stepi", gdb.COMMAND_RUNNING)

    def invoke(self, argument, from_tty):
        now = icount()
        if now == 0:
            raise gdb.GdbError("this is the first instruction of the recording")
        seek(now - 1)
        _show_position()


class KeelReplayGoto(gdb.Command):
    """keel-replay-goto N        to instruction N of the recording (a replay)"""

    def __init__(self):
        super().__init__("keel-replay-goto", gdb.COMMAND_RUNNING)

    def invoke(self, argument, from_tty):
        seek(int(gdb.parse_and_eval(argument)))
        _show_position()


class KeelReplayWhere(gdb.Command):
    """keel-replay-where         the replay's instruction count and where the CPU is"""

    def __init__(self):
        super().__init__("keel-replay-where", gdb.COMMAND_STATUS)

    def invoke(self, argument, from_tty):
        _say(f"instruction {icount()} of the recording")
        _show_position()


class KeelReplayOpen(gdb.Command):
    """keel-replay-open DIR      replay the recording in DIR, stopped where the run failed"""

    def __init__(self):
        super().__init__("keel-replay-open", gdb.COMMAND_RUNNING, gdb.COMPLETE_FILENAME)

    def invoke(self, argument, from_tty):
        directory = os.path.abspath(argument.strip() or ".")
        if not os.path.exists(os.path.join(directory, "qemu-args")):
            raise gdb.GdbError(f"{directory} holds no recording (no qemu-args file)")
        _Replay.directory = directory
        take_over_reverse_commands()
        start_replay()
        # Stop where the run failed, before the kernel powers the machine
        # off (which would end the replay and this gdb's connection).
        stops = [gdb.Breakpoint(f, internal=True) for f in FAILURE_POINTS
                 if gdb.lookup_global_symbol(f) is not None]
        end = os.path.join(directory, "end")  # a run stopped at its timeout (a hang)
        try:
            if os.path.exists(end):
                with open(end) as f:  # not at its very end: the log ends there, and the replay
                    last = int(f.read().strip() or 0)
                _quietly(f"monitor replay_break {max(last - 100000, 1)}")
            _quietly("continue")
        finally:
            for b in stops:
                b.delete()
        _say(f"Replaying {directory} (instruction {icount()}), stopped where the run ended:")
        _say(gdb.execute("bt 8", to_string=True).rstrip())
        _say("Go back in time: watch -l VARIABLE (or break FUNCTION), then reverse-continue; "
             "reverse-finish, reverse-stepi; keel-help lists the rest (docs/debugging.md).")


class _InsteadOf(gdb.Command):
    """gdb's own reverse commands, in a replay: QEMU 7.2's reverse-continue
    (which they use) deadlocks it now and then, so each is replaced by the
    keel- command that does its work, or says what to use."""

    def __init__(self, name, command, advice=None):
        super().__init__(name, gdb.COMMAND_RUNNING)
        self.command, self.advice = command, advice

    def invoke(self, argument, from_tty):
        if self.advice:
            raise gdb.GdbError(self.advice)
        try:
            gdb.execute(f"{self.command} {argument}".strip(), from_tty)
        except gdb.error as error:
            raise gdb.GdbError(str(error)) from None


def take_over_reverse_commands():
    for name in ("reverse-continue", "rc"):
        _InsteadOf(name, "keel-reverse-continue")
    _InsteadOf("reverse-finish", "keel-reverse-finish")
    for name in ("reverse-stepi", "rsi"):
        _InsteadOf(name, "keel-reverse-stepi")
    for name in ("reverse-next", "rn", "reverse-step", "rs", "reverse-nexti", "rni"):
        _InsteadOf(name, None, f"{name} is not available in a Keel replay: use keel-reverse-stepi, "
                   "keel-reverse-finish, or break at an earlier line and keel-reverse-continue")


# Where a failing run goes before its end: a panic, a bug Keel caught, an
# exception nobody handled, a test's failed assertion; the power-off last.
FAILURE_POINTS = ("trap_print_report", "panic_at", "keel_report_bug", "ktest_fail_at", "kernel_power_off",
                  "kernel_reboot")

for _cls in (KeelReplayOpen, KeelReverseContinue, KeelReverseFinish, KeelReverseStepi,
             KeelReplayGoto, KeelReplayWhere):
    _cls()
    if "COMMANDS" in globals():  # keel.py's table, for keel-help
        globals()["COMMANDS"].append(_cls)
