"""The debugging front door and the second emulator: a scripted gdb session
runs the boot tour against QEMU, and the GRUB ISO boots and passes the
framework's self-tests under Bochs."""
import os
import re
import subprocess
import time

from keelgrade.qemu_machine import qemu_command

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPLETE = os.path.join(ROOT, "build/complete/solution/kernel.elf")
QEMU = [*qemu_command(), "-display", "none", "-nodefaults", "-serial", "null"]


def make_iso(kernel, iso, cmdline):
    subprocess.run([os.path.join(ROOT, "tools/mkiso.sh"), kernel, str(iso), cmdline], check=True)


def make(*args):
    subprocess.run(["make", "--no-print-directory", "-s", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def gdb_tour(tmp_path, boot_args):
    return gdb_session(tmp_path, COMPLETE, boot_args, ["keel-guide boot --batch"])


def test_gdb_boot_tour_direct_boot(tmp_path):
    make("kernel", "LAB=complete", "SOLUTION=1")
    out = gdb_tour(tmp_path, ["-kernel", COMPLETE])
    for stage in range(1, 6):
        assert f"=== Stage {stage} of 5" in out, out
    assert "pvh_entry" in out and "PG (paging) off" in out, out
    assert "PG (paging) on" in out and "LMA (long mode active) on" in out, out
    assert "RDI (magic)   = 0x336ec578" in out, out
    assert ", inside the boot stack" in out, out
    assert "registering the console 'serial'" in out, out
    assert "'g' packet" not in out, out


def test_gdb_boot_tour_grub(tmp_path):
    make("kernel", "LAB=complete", "SOLUTION=1")
    make_iso(COMPLETE, tmp_path / "keel.iso", "")
    out = gdb_tour(tmp_path, ["-cdrom", str(tmp_path / "keel.iso")])
    assert "multiboot2_entry" in out and "EAX = 0x36d76289: the Multiboot2 magic" in out, out
    assert "=== Stage 5 of 5" in out, out


def test_gdb_port_is_per_user_and_lab():
    def port(lab):
        run = subprocess.run(["make", "--no-print-directory", "-s", "gdb-port", f"LAB={lab}"],
                             cwd=ROOT, capture_output=True, text=True, check=True)
        return int(run.stdout.strip())
    ports = {port(lab) for lab in ("lab1-boot", "lab2-mm", "lab3-trap", "complete")}
    assert len(ports) == 4 and all(20000 <= p < 40000 for p in ports), ports


def test_bochs_boots_the_grub_iso(tmp_path):
    make("kernel", "LAB=framework-tests", "SOLUTION=1")
    iso = tmp_path / "keel.iso"
    make_iso(os.path.join(ROOT, "build/framework-tests/solution/kernel.elf"), iso,
             "keel.test=all keel.nonce=bochs1")
    run = subprocess.run([os.path.join(ROOT, "tools/bochs/run-bochs.sh"), str(iso), str(tmp_path / "bochs"), "batch"],
                         capture_output=True, text=True, timeout=300)
    out = run.stdout
    assert "@@keel:bochs1:READY:GRUB" in out, out[-3000:] + run.stderr[-2000:]
    assert "@@keel:bochs1:DONE:" in out, out[-3000:]
    passed, failed = out.split("@@keel:bochs1:DONE:")[1].split()[:2]
    assert failed == "0" and int(passed) >= 12, out[-3000:]
    assert "@@keel:bochs1:EXIT:0" in out, out[-3000:]


def gdb_session(tmp_path, kernel, boot_args, commands):
    """Boot QEMU waiting for gdb on a unix socket, run gdb's commands in batch."""
    sock = str(tmp_path / "gdb.sock")
    qemu = subprocess.Popen(QEMU + boot_args + ["-S", "-chardev",
                            f"socket,path={sock},server=on,wait=off,id=g", "-gdb", "chardev:g"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        args = ["gdb", "-q", "-batch", "-nx", "-ex", "set architecture i386:x86-64",
                "-ex", f"file {kernel}", "-ex", "source tools/gdb/keel.py",
                "-ex", f"target remote {sock}"]
        for command in commands:
            args += ["-ex", command]
        run = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
        return run.stdout + run.stderr
    finally:
        qemu.kill()
        qemu.wait()


def test_gdb_memory_helpers(tmp_path):
    make("kernel", "LAB=complete", "SOLUTION=1")
    out = gdb_session(tmp_path, COMPLETE, ["-kernel", COMPLETE], ["hbreak process_spawn", "continue",
                                               "keel-pt (long)&kmain", "keel-pt 0", "keel-frames",
                                               "keel-idt"])
    assert "level 1 PT" in out and "physical address 0x" in out, out
    assert "not present: this address is not mapped" in out, out
    assert "kernel image" in out and "Frame allocator: lab 2 buddy allocator" in out, out
    assert "double fault" in out and "IST 1" in out, out


def test_gdb_trap_frame(tmp_path):
    make("kernel", "LAB=framework-tests", "SOLUTION=1")
    kernel = os.path.join(ROOT, "build/framework-tests/solution/kernel.elf")
    out = gdb_session(tmp_path, kernel, ["-kernel", kernel, "-append",
                                         "keel.test=trap_handler_recovers_from_breakpoint"],
                      ["hbreak trap_dispatch", "continue", "keel-tf"])
    assert "vector 3 (breakpoint)" in out and "interrupted in" in out, out


def test_gdb_threads(tmp_path):
    make("kernel", "LAB=lab4-sched", "SOLUTION=1")
    kernel = os.path.join(ROOT, "build/lab4-sched/solution/kernel.elf")
    out = gdb_session(tmp_path, kernel, ["-kernel", kernel, "-append", "keel.test=rr_runs_in_order"],
                      ["hbreak take_turns", "continue", "keel-threads"])
    assert "Scheduler: round robin" in out and "(running)" in out, out
    assert "Ready queue" in out and re.search(r"3  b +ready", out), out


def test_gdb_syscall_tour_processes_and_user_symbols(tmp_path):
    make("kernel", "LAB=complete", "SOLUTION=1")
    archive = os.path.join(ROOT, "build/complete/solution/programs.cpio")
    out = gdb_session(tmp_path, COMPLETE, ["-kernel", COMPLETE, "-initrd", archive,
                                           "-append", "keel.run=hello"],
                      ["keel-guide syscall --batch", "keel-ps", "keel-user", "info symbol $rcx"])
    for stage in range(1, 5):
        assert f"=== Stage {stage} of 4" in out, out
    assert "RAX (number) = 158" in out, out  # musl's first call: arch_prctl
    assert re.search(r"\*\s+1\s+0\s+running\s+running\s+hello", out), out
    assert "Loaded the symbols of 'hello'" in out and "__set_thread_area" in out, out


def test_gdb_on_the_linux_platform_with_user_programs():
    """make gdb PLATFORM=linux: plain gdb on the kernel process, whose user
    programs run in traced children of its own; gdb stays with the kernel."""
    commands = "tty /dev/null\nbreak syscall_handle\nrun\nprint/d frame->rax\nbt 4\n" \
               "delete\ncontinue\nquit\n"
    run = subprocess.run(["make", "--no-print-directory", "-s", "gdb", "PLATFORM=linux",
                          "LAB=lab5-user", "SOLUTION=1"], cwd=ROOT, input=commands,
                         capture_output=True, text=True, timeout=120)
    out = run.stdout + run.stderr
    assert "Breakpoint 1, syscall_handle" in out, out
    assert "$1 = 158" in out, out  # musl's first system call: arch_prctl
    assert "in run_user" in out and "usermode.c" in out, out
    assert "exited with code 01" in out, out  # the run went on to power off (0 << 1 | 1)
