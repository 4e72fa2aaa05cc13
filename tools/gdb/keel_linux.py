"""Keel's gdb helpers for the kernel as a Linux process (PLATFORM=linux),
loaded by keel.py; they do nothing for a kernel on QEMU.

  keel-run-with-input FILE   run the kernel with its arguments, FILE as its
                             standard input (its serial line)

- `run < FILE` does not do that: gdb takes everything after `run` as the new
  argument list, so the kernel's own arguments (keel.test=..., --initrd=...)
  are dropped; and with startup-with-shell off (make gdb) there is no shell
  to redirect, so "<" and FILE reach the kernel as two words.
- While gdb calls a kernel function (`print f(x)`, `call f(x)`), the
  kernel's interrupt flag is cleared, as `cli` would: a timer tick arriving
  during the call waits (pending) instead of running the scheduler inside it.
- At the first stop, a check that this gdb can write the CPU's extended
  register state, which every call needs (see check_register_writes)."""
import os
import shlex
import sys

import gdb


def on_linux_platform():
    """Whether the kernel loaded is a Linux-platform one (it has the
    emulated CPU's state, linux_cpu)."""
    try:
        return gdb.lookup_global_symbol("linux_cpu") is not None
    except gdb.error:
        return False


class KeelRunWithInput(gdb.Command):
    """keel-run-with-input FILE: (PLATFORM=linux) run with the kernel's arguments, FILE as input.

    FILE becomes the kernel's standard input, what its serial line receives;
    the arguments are those `show args` shows, kept for the next `run`."""

    def __init__(self):
        super().__init__("keel-run-with-input", gdb.COMMAND_RUNNING, gdb.COMPLETE_FILENAME)

    def invoke(self, argument, from_tty):
        path = argument.strip()
        if not path:
            raise gdb.GdbError("usage: keel-run-with-input FILE")
        if not os.path.isfile(path):
            raise gdb.GdbError(f"keel-run-with-input: no file {path}")
        shown = gdb.execute("show args", to_string=True)   # gdb 13 has no Inferior.arguments
        args = shown[shown.find('"') + 1:shown.rfind('"')] if shown.count('"') >= 2 else ""
        shell = gdb.parameter("startup-with-shell")
        # The redirection needs the shell; the arguments stay as they were
        # for the next `run`.
        gdb.execute("set startup-with-shell on")
        try:
            gdb.execute(f"run {args} < {shlex.quote(os.path.abspath(path))}", from_tty)
        finally:
            gdb.execute(f"set startup-with-shell {'on' if shell else 'off'}")
            gdb.execute(f"set args {args}")


KeelRunWithInput()
# keel.py's table, for keel-help: imported as a module (keel.py registered
# as sys.modules["keel"]) or sourced into keel.py's own namespace.
_keel = sys.modules.get("keel")
_commands = getattr(_keel, "COMMANDS", None) if _keel else globals().get("COMMANDS")
if _commands is not None:
    _commands.append(KeelRunWithInput)

_masked = []


def _around_calls(event):
    """Clear the kernel's interrupt flag for the length of a call from gdb."""
    if not on_linux_platform():
        return
    if isinstance(event, gdb.InferiorCallPreEvent):
        _masked.append(int(gdb.parse_and_eval("linux_cpu.irq_enabled")))
        gdb.execute("set var linux_cpu.irq_enabled = 0", to_string=True)
    elif _masked:
        gdb.execute(f"set var linux_cpu.irq_enabled = {_masked.pop()}", to_string=True)


def check_register_writes(probe="set var $mxcsr = $mxcsr"):
    """Write one SSE control register back unchanged, which makes gdb write
    the whole extended (XSAVE) register state: if that fails, say why calls
    will fail and what to do. True if it worked."""
    try:
        gdb.execute(probe, to_string=True)
        return True
    except gdb.error as error:
        gdb.write(
            f"\nNote: this gdb ({gdb.VERSION}) cannot write this CPU's extended register state "
            f"({error}), so `print f(x)` and `call f(x)` will fail here with \"Couldn't write "
            "extended state status\". That is gdb and this CPU, not Keel: gdb before 14 sizes the "
            "XSAVE area for the CPUs it knew (at most 2696 bytes) and Linux refuses a write of "
            "any other size; CPUs with more state (AMX on recent Xeons, for one) fail this way "
            "with every program. Use gdb 14 or newer, or debug on QEMU (make debug or make gdb "
            "without PLATFORM=linux), where gdb writes registers through QEMU.\n\n")
        return False


def _first_stop(event):
    gdb.events.stop.disconnect(_first_stop)
    if on_linux_platform() and gdb.selected_inferior().pid > 0:
        check_register_writes()


gdb.events.inferior_call.connect(_around_calls)
gdb.events.stop.connect(_first_stop)
# The signals that carry the kernel's interrupts and fill its software TLB
# pass quietly (as make gdb and make debug set them), so that a plain
# `gdb -x tools/gdb/keel.py kernel.elf` does not stop at every one.
if on_linux_platform():
    gdb.execute("handle SIGSEGV SIGALRM SIGUSR1 SIGSYS nostop noprint pass", to_string=True)
