"""gdb on the kernel as a Linux process, and keel-tf anywhere: input from a
file keeps the kernel's arguments (keel-run-with-input; `run < FILE` loses
them), calling kernel functions works with the kernel's interrupts masked
for the call, plain `gdb kernel.elf` finds the lab's programs, and keel-tf
shows the most recent trap frame when stopped outside a trap handler (both
platforms). Each check is paired with the failure it guards against."""
import os
import re
import subprocess

import pytest

from test_debug import between, make_debug

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUIET = ["-ex", "handle SIGSEGV SIGALRM SIGUSR1 SIGSYS nostop noprint pass",
         "-ex", "set startup-with-shell off"]


def built(tree_make, lab):
    run = tree_make("-s", "kernel", f"LAB={lab}", "SOLUTION=1", "PLATFORM=linux",
                    capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return os.path.join(ROOT, f"build/{lab}/solution-linux")


def gdb_batch(commands, kernel_args, timeout=120, quiet=True):
    args = ["gdb", "-q", "-batch", "-nx", *(QUIET if quiet else []),
            "-x", os.path.join(ROOT, "tools/gdb/keel.py")]
    for command in commands:
        args += ["-ex", command]
    run = subprocess.run(args + ["--args", *kernel_args], cwd=ROOT, capture_output=True, text=True,
                         timeout=timeout, stdin=subprocess.DEVNULL, errors="replace")
    return run.stdout + run.stderr


def test_run_with_input_keeps_the_kernels_arguments(tmp_path, tree_make):
    """The lab 1 monitor reads `help` and `reboot` from the file while
    --memory=64 still applies; through make gdb as a student types it."""
    built(tree_make, "lab1-boot")
    typed = tmp_path / "typed.txt"
    typed.write_text("help\nreboot\n")
    run = subprocess.run(["make", "--no-print-directory", "-s", "gdb", "PLATFORM=linux", "LAB=lab1-boot",
                          "SOLUTION=1", "CMDLINE=--memory=64",
                          f"GDBFLAGS=-batch -ex 'keel-run-with-input {typed}' -ex 'show args'"],
                         cwd=ROOT, capture_output=True, text=True, timeout=180,
                         stdin=subprocess.DEVNULL, errors="replace")
    out = run.stdout + run.stderr
    assert "(63 MiB)" in out and "list the commands" in out, out[-3000:]
    assert re.search(r'started is "[^"]*--memory=64"', out), out[-3000:]
    assert "keel-run-with-input FILE" in out, out[-3000:]


def test_run_with_redirection_loses_the_arguments(tmp_path, tree_make):
    """The trap the command avoids: `run < FILE` boots with 127 MiB, the
    --memory=64 argument replaced by "< FILE"."""
    kernel_dir = built(tree_make, "lab1-boot")
    typed = tmp_path / "typed.txt"
    typed.write_text("help\nreboot\n")
    # Stopped when the monitor first asks for a line, after the memory map.
    out = gdb_batch(["break monitor_readline", f"run < {typed}", "show args"],
                    [f"{kernel_dir}/kernel.elf", "--memory=64"])
    assert "(127 MiB)" in out and f'started is "< {typed}"' in out, out[-3000:]


def test_calling_kernel_functions(tree_make):
    """print f(x) works on the Linux platform, the kernel's interrupts are
    masked for the call (cpu_irq_enabled() says false while the flag is 1
    around it), and the register-write check passes on this machine; a
    failing write is explained."""
    kernel_dir = built(tree_make, "lab3-trap")
    out = gdb_batch(["break test_timer.c:58", "run", "echo ==CALLS==\\n",
                     "print linux_cpu.irq_enabled", "print cpu_irq_enabled()",
                     "print linux_cpu.irq_enabled", "print frame_free_count() > 0",
                     "python from keel_linux import check_register_writes",
                     "python print('writes', check_register_writes())",
                     "python print('planted', check_register_writes('set var $mxcsr = ('))"],
                    [f"{kernel_dir}/kernel.elf", "keel.test=timer_ticks_at_100hz"])
    calls = between(out, "==CALLS==", "\nNote:")
    assert re.search(r"\$1 = 1\n\$2 = false\n\$3 = 1\n\$4 = 1\n", calls), out[-3000:]
    assert "writes True" in calls and "Couldn't write" not in calls, out[-3000:]
    assert "cannot write this CPU's extended register state" in out and "planted False" in out, \
        out[-3000:]


def test_plain_gdb_finds_the_boot_archive(tree_make):
    """gdb kernel.elf with no --initrd and only Keel's helpers (which pass
    the platform's signals on): the programs.cpio built next to it is the
    boot archive; --initrd= (none) is what happened before."""
    kernel_dir = built(tree_make, "lab5-user")
    kernel = f"{kernel_dir}/kernel.elf"
    out = gdb_batch(["run"], [kernel, "keel.test=elf_runs_printf_program"], quiet=False)
    assert "received signal" not in out, out[-3000:]
    assert "elf_runs_printf_program: PASS" in out, out[-3000:]
    out = gdb_batch(["run"], [kernel, "--initrd=", "keel.test=elf_runs_printf_program"])
    assert "the boot archive has no 'hello'" in out, out[-3000:]


KEEL_TF = "break test_timer.c:58\ncontinue\ndisable 3\nbreak trap_dispatch\ncontinue\ndelete 4\n" \
    "enable 3\ncontinue\n" \
    "echo ==AFTER==\\n\nbt 1\nkeel-tf\necho ==END==\\n\n"


@pytest.mark.parametrize("platform", ["linux", "pc"])
def test_keel_tf_outside_the_trap_handler(platform, tmp_path, tree_make):
    """Stopped in the test's loop after a timer interrupt (not in a trap
    handler, where keel-tf used to give up), keel-tf shows that trap's frame
    (a copy) and where it interrupted."""
    batch = tmp_path / "batch.gdb"
    batch.write_text(KEEL_TF)
    out, _ = make_debug(tree_make, "lab3-trap", "timer_ticks_at_100hz", platform, batch, "SOLUTION=1")
    after = between(out, "==AFTER==", "==END==")
    assert "run_timer" in after and "not inside trap_dispatch: the most recent trap" in after, \
        out[-4000:]
    assert re.search(r"vector 48 \(interrupt\)", after) and "interrupted in" in after, out[-4000:]


def test_halt_with_interrupts_masked_sleeps_as_a_pc_does(tree_make):
    """cpu_halt with interrupts masked (hlt after cli) sleeps for good, as a
    PC does, until a grader's hang report or Ctrl-C in gdb; the lock-down
    used to stop it as a forbidden system call (pause) instead."""
    import signal
    import time
    kernel_dir = built(tree_make, "lab2-mm")
    args = ["gdb", "-q", "-batch", "-nx", *QUIET, "-ex", "break ktest_fn_pt_map_then_translate",
            "-ex", "run", "-ex", "set var linux_cpu.irq_enabled = 0", "-ex", "jump cpu_halt",
            "--args", f"{kernel_dir}/kernel.elf", "keel.test=pt_map_then_translate"]
    session = subprocess.Popen(args, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        time.sleep(4)
        asleep = session.poll() is None
    finally:
        try:
            os.killpg(session.pid, signal.SIGKILL)
        except ProcessLookupError:   # it ended by itself: the bug
            pass
        out = session.communicate()[0].decode(errors="replace")
    assert asleep and "BUG CAUGHT" not in out, out[-3000:]


def test_keel_pt_walks_the_linux_platforms_tables(tree_make):
    """keel-pt reads tables through the platform's own direct map and CR3 (the
    PC's fixed direct-map base is not where the Linux platform keeps RAM): the
    walk of lab 2's test address ends at its frame, and a function's name is
    taken as its address."""
    kernel_dir = built(tree_make, "lab2-mm")
    out = gdb_batch(["break pt_translate", "run", "keel-pt va root", "keel-pt keel_start", "kill"],
                    [f"{kernel_dir}/kernel.elf", "keel.test=pt_map_then_translate"])
    assert re.search(r"level 1 PT  \[  0\] = 0x8\w+ +-> 0x\w+ +\[present, writable, no-execute\]",
                     out), out[-3000:]
    assert re.search(r"physical address 0x\w+123\n", out), out[-3000:]
    assert "Cannot convert value" not in out and "Cannot access memory" not in out, out[-3000:]
