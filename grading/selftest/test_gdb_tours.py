"""The keel-guide walkthroughs of tools/gdb/keel_walkthroughs.py (a page
fault, the timer and preemption, a context switch, fork) and the physical-
memory helpers of keel_memory.py, each as a scripted gdb session on the
complete kernel: under QEMU (the PC) and as a process (the Linux platform).
One boot per session, bounded by a timeout; nothing is left running."""
import os
import re
import signal
import subprocess
import time

import pytest

from keelgrade.qemu_machine import qemu_command
from keelgrade.sandbox import dies_with_parent

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TIMEOUT = 120
KERNEL_DIRS = {"pc": "build/complete/solution", "linux": "build/complete/solution-linux"}


@pytest.fixture(scope="module")
def complete(tree_make):
    for platform in KERNEL_DIRS:  # under the build lock: other workers build it too
        tree_make("-s", "kernel", "LAB=complete", "SOLUTION=1", f"PLATFORM={platform}",
                  check=True, stdout=subprocess.DEVNULL)
    return {p: os.path.join(ROOT, d) for p, d in KERNEL_DIRS.items()}


def run_gdb(args):
    """gdb in its own process group, all of which goes on a timeout."""
    gdb = subprocess.Popen(dies_with_parent(args), cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True,
                           start_new_session=True)
    try:
        return gdb.communicate(timeout=TIMEOUT)[0]
    except subprocess.TimeoutExpired:
        os.killpg(gdb.pid, signal.SIGKILL)
        return gdb.communicate()[0] + f"\n(gdb killed after {TIMEOUT} s)"


def session(kernels, platform, program, commands, tmp_path, kernel_dir=None, cmdline=None):
    """Boot the complete kernel (or the one in kernel_dir) with keel.run=PROGRAM
    (or `cmdline`) under gdb; run `commands`."""
    kernel = os.path.join(kernel_dir or kernels[platform], "kernel.elf")
    archive = os.path.join(kernels[platform], "programs.cpio")
    cmdline = cmdline or f"keel.run={program}"
    script = [arg for command in commands for arg in ("-ex", command)]
    if platform == "linux":
        return run_gdb(["gdb", "-q", "-batch", "-nx", "-ex",
                        "handle SIGSEGV SIGALRM SIGUSR1 SIGSYS nostop noprint pass",
                        "-ex", "set startup-with-shell off", "-ex", "source tools/gdb/keel.py",
                        *script, "--args", kernel, f"--initrd={archive}", cmdline])
    sock = str(tmp_path / "gdb.sock")
    qemu = subprocess.Popen(dies_with_parent(
        [*qemu_command(), "-display", "none", "-nodefaults", "-serial", "null", "-kernel", kernel,
         "-initrd", archive, "-append", cmdline, "-S", "-chardev",
         f"socket,path={sock},server=on,wait=off,id=g", "-gdb", "chardev:g"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        return run_gdb(["gdb", "-q", "-batch", "-nx", "-ex", "set architecture i386:x86-64",
                        "-ex", f"file {kernel}", "-ex", "source tools/gdb/keel.py",
                        "-ex", f"target remote {sock}", *script])
    finally:
        qemu.kill()
        qemu.wait()


def stages(out, count):
    for stage in range(1, count + 1):
        assert f"=== Stage {stage} of {count}:" in out, out
    assert "That was the whole tour" in out and "Traceback" not in out, out


PLATFORMS = pytest.mark.parametrize("platform", ["pc", "linux"])


@PLATFORMS
def test_page_fault_tour(complete, platform, tmp_path):
    out = session(complete, platform, "nullptr", ["keel-guide pagefault --batch"], tmp_path)
    stages(out, 4)
    if platform == "pc":  # the CPU's own entry: the stub for vector 14
        assert "the CPU raises a page fault (vector 14)" in out, out
    assert re.search(r"0x401\w+:\s+movl\s+\$0x1,0x0", out), out  # the faulting store
    assert "CR2 (the address it touched) = 0x0" in out, out
    assert "error code 0x6: page not present, a write, from user mode" in out, out
    # setup.c offers the fault to vm_fault (copy-on-write, demand-zero) first.
    assert "handlers[14] = on_page_fault (lab5-user/setup.c:" in out, out
    assert "it calls process_exit(11)" in out and "SIGSEGV" in out, out


def test_page_fault_tour_in_lab_3(complete, tmp_path):
    """A lab kernel, and a handler that deals with the fault (a lab 3 test's,
    which skips the faulting instruction)."""
    subprocess.run(["make", "--no-print-directory", "-s", "kernel", "LAB=lab3-trap", "SOLUTION=1"],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    out = session(complete, "pc", None, ["keel-guide pagefault --batch"], tmp_path,
                  os.path.join(ROOT, "build/lab3-trap/solution"),
                  "keel.test=exceptions_from_real_faults")
    stages(out, 4)
    assert "handlers[14] = capture_and_skip (lab3-trap/tests/test_exceptions.c:" in out, out
    assert "error code 0x2: page not present, a write, from kernel mode" in out, out
    assert "The handler returned true" in out and "the handler moved RIP on" in out, out


@PLATFORMS
def test_timer_tour_finds_a_preemption(complete, platform, tmp_path):
    out = session(complete, platform, "timeshare", ["keel-guide timer --batch"], tmp_path)
    stages(out, 6)
    assert "handlers[48] = preempt_tick (framework/core/thread.c:" in out, out
    assert "scheduler: round robin" in out, out
    assert re.search(r"from thread \d+ 'timeshare' \(process \d\), now ready", out), out
    assert re.search(r"how we got here: arch_context_switch <- .*preempt_tick <- trap_dispatch",
                     out), out


@PLATFORMS
def test_context_switch_tour_step_by_step(complete, platform, tmp_path):
    """Without --batch: one stage per command, `keel-guide next` for the rest."""
    out = session(complete, platform, "timeshare",
                  ["keel-guide switch"] + ["keel-guide next"] * 4, tmp_path)
    stages(out, 4)
    assert out.count("Type `keel-guide next` to go on.") == 3, out
    assert "The tour is over; `keel-guide switch` starts it again from here." in out, out
    assert "from thread 0 'main'" in out and "to   thread 2 'timeshare' (process 1)" in out, out
    assert re.search(r"saved rbp = 0x[0-9a-f]{16}", out), out
    assert re.search(r"return address = switch_away\+\d+ \(framework/core/thread.c:\d+\)", out), out
    assert "ret goes to thread_trampoline" in out and "A new thread" in out, out
    assert "(from R12: enter_program (lab5-user/solution/process.c:" in out, out


@PLATFORMS
def test_fork_tour_returns_twice(complete, platform, tmp_path):
    out = session(complete, platform, "forker", ["keel-guide fork --batch"], tmp_path)
    stages(out, 5)
    assert "system call 57 (fork)" in out, out
    assert "process_fork returned 2 (RAX)" in out, out
    assert "the parent gets frame->rax = 2: the child's pid" in out, out
    assert "gets frame->rax = 0" in out and "(the same instruction as the parent)" in out, out


def test_a_tour_says_when_its_event_never_comes(complete, tmp_path):
    """A planted case: hello never faults, so the tour must say it stopped
    waiting (the assertions above can fail on a tour that skips a stage)."""
    out = session(complete, "linux", "hello", ["keel-guide pagefault --batch"], tmp_path)
    assert "The tour stops here: the kernel ended while waiting for a page fault" in out, out
    assert "=== Stage 1" not in out, out


@PLATFORMS
def test_physical_memory_helpers(complete, platform, tmp_path):
    root = "$cr3" if platform == "pc" else "linux_cpu.cr3"
    out = session(complete, platform, "hello", [
        "break process_spawn" if platform == "linux" else "hbreak process_spawn", "continue"
        if platform == "pc" else "run", "keel-table", f"keel-phys {root} 4",
        f"p $phys({root})", "keel-phys 0x10000000000", "keel-table 0x1234", "keel-table 0 9",
        "p $phys(1ul << 40)", "keel-help"], tmp_path)
    assert "Level 4 table (PML4) at physical 0x" in out, out
    assert re.search(r"\[511\] 0x[0-9a-f]{16}  -> 0x\w+  \[present, writable", out), out
    assert "virtual 0xffffff8000000000-0xffffffffffffffff -> the level 3 table (PDPT)" in out, out
    assert re.search(r"physical 0x\w+ = virtual 0x\w+ in the direct map; frame 0x\w+ is "
                     r"framework data", out), out
    assert re.search(r"\$1 = \(void \*\) 0x[0-9a-f]+", out), out
    assert "keel-phys: physical address 0x10000000000 is past the end of RAM" in out, out
    assert "keel-table: 0x1234 is not the start of a page" in out, out
    assert "keel-table: LEVEL 9: give 4 (PML4)" in out, out
    assert "$phys: physical address 0x10000000000 is past the end of RAM" in out, out
    for name in ("keel-phys PADDR", "keel-table [PADDR", "$phys(PADDR)", "keel-guide TOUR"):
        assert name in out, out
