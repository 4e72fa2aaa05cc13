#!/usr/bin/env python3
"""Keel benchmarks (make bench). Prints wall-clock figures; asserts nothing.

  clean build      framework + every lab kernel, from nothing, make -j$(nproc)
  boot to READY    emulator start to the framework's READY line (C entry plus
                   early set-up), direct boot (-kernel) and GRUB ISO, QEMU TCG
                   and Bochs
  boot to prompt   emulator start to the complete kernel's shell prompt "$ "
  in-kernel        ns per operation for frame and heap allocation, mapping,
                   trap round trips and timer interrupts (complete kernel)
  grade LAB        `make grade LAB=… SOLUTION=1` for every lab, wall time, with
                   PLATFORM=pc (QEMU) and PLATFORM=linux (the kernel as a process;
                   at least 5 runs: lab2-mm's is to stay under 0.6 s)

Each figure is the median of several runs (the count is printed).
`tools/bench.py grade` prints only the grading figures."""
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "grading"))
from keelgrade.qemu_machine import qemu_command  # noqa: E402  (the Makefile's machine)

QEMU = [*qemu_command(), "-display", "none"]


def make(*args, env=None):
    subprocess.run(["make", "--no-print-directory", "-s", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, env=env)


def time_until(cmd, marker, timeout=120, cwd=ROOT):
    """Seconds from starting cmd until marker appears on its stdout."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    seen = b""
    try:
        while time.monotonic() - start < timeout:
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
            if marker in seen:
                return time.monotonic() - start
        raise RuntimeError(f"{marker!r} not seen from {' '.join(cmd)}")
    finally:
        proc.kill()
        proc.wait()


def median(fn, runs):
    values = [fn() for _ in range(runs)]
    return statistics.median(values), runs


def report(name, value_runs, unit="ms"):
    value, runs = value_runs
    shown = f"{value * 1000:8.0f} ms" if unit == "ms" else f"{value:8.2f} s "
    print(f"  {name:<52} {shown}  (median of {runs})", flush=True)


def bochs_command(iso, workdir):
    rc = os.path.join(workdir, "bochs.rc")
    with open(rc, "w") as f:
        f.write("c\n")
    conf = os.path.join(workdir, "bochsrc")
    with open(conf, "w") as f:
        f.write(f"""megs: 128
cpu: model=corei7_sandy_bridge_2600k, ips=50000000
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path={iso}, status=inserted
boot: cdrom
display_library: rfb, options="timeout=0"
port_e9_hack: enabled=0
com1: enabled=1, mode=file, dev=/dev/stdout
log: /dev/null
""")
    return ["bochs", "-q", "-f", conf, "-rc", rc]


def main(argv):
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    if argv[1:] == ["grade"]:  # tools/bench.py grade: only the grading figures
        grade_figures(runs)
        return 0
    print("Keel benchmarks (wall clock, this machine)")

    with tempfile.TemporaryDirectory() as build:
        env = dict(os.environ, BUILD=build)
        start = time.monotonic()
        make(f"-j{os.cpu_count()}", "kernels", f"BUILD={build}", env=env)
        print(f"  {'clean build (framework + all kernels)':<44} {time.monotonic() - start:8.2f} s ")

    framework_tests = os.path.join(ROOT, "build/framework-tests/solution/kernel.elf")
    complete = os.path.join(ROOT, "build/complete/solution/kernel.elf")
    def direct(kernel, cmdline, marker):
        archive = os.path.join(os.path.dirname(kernel), "programs.cpio")
        initrd = ["-initrd", archive] if os.path.exists(archive) else []
        return time_until(QEMU + ["-serial", "stdio", "-kernel", kernel, *initrd, "-append", cmdline],
                          marker)
    report("QEMU direct boot to READY",
           median(lambda: direct(framework_tests, "keel.test=none keel.nonce=bench", b":READY:"), runs))

    make("iso", "LAB=framework-tests", "SOLUTION=1", "CMDLINE=keel.test=none keel.nonce=bench")
    make("iso", "LAB=complete", "SOLUTION=1", "CMDLINE=")
    framework_tests_iso = os.path.join(ROOT, "build/framework-tests/solution/keel.iso")
    complete_iso = os.path.join(ROOT, "build/complete/solution/keel.iso")
    iso = lambda image, marker: time_until(QEMU + ["-serial", "stdio", "-cdrom", image], marker)
    report("QEMU GRUB ISO to READY", median(lambda: iso(framework_tests_iso, b":READY:"), runs))
    report("QEMU direct boot to the shell prompt", median(lambda: direct(complete, "", b"$ "), runs))
    report("QEMU GRUB ISO to the shell prompt", median(lambda: iso(complete_iso, b"$ "), runs))

    if shutil.which("bochs"):
        def bochs(image, marker):
            with tempfile.TemporaryDirectory() as work:
                return time_until(bochs_command(image, work), marker, timeout=300)
        report("Bochs GRUB ISO to READY", median(lambda: bochs(framework_tests_iso, b":READY:"), 3), unit="s")
        report("Bochs GRUB ISO to the shell prompt", median(lambda: bochs(complete_iso, b"$ "), 3),
               unit="s")
    else:
        print("  Bochs not installed: skipped")

    print("In-kernel benchmarks (QEMU TCG; median of the runs):")
    figures = {}
    for _ in range(3):
        for kernel, tests in ((complete, "bench_memory,bench_traps"),
                              (framework_tests, "bench_thread_switch,bench_null_syscall")):
            proc = subprocess.run(QEMU + ["-serial", "stdio", "-kernel", kernel, "-append",
                                          f"keel.test={tests} keel.nonce=bench"],
                                  capture_output=True, text=True, timeout=300)
            for line in proc.stdout.splitlines():
                if ":BENCH:" in line:
                    name, value, unit = line.split(":BENCH:")[1].rsplit(" ", 2)
                    figures.setdefault((name, unit), []).append(int(value))
    for (name, unit), values in figures.items():
        print(f"  {name:<44} {statistics.median(values):8.0f} {unit}")

    print("The same static program on Keel and on a Linux guest (QEMU TCG, same machine settings;")
    print("time stamp counter ticks per operation, median of the runs; Keel / Linux < 1 means Keel is faster):")
    program = os.path.join(tempfile.mkdtemp(), "syscalls")
    subprocess.run(["musl-gcc", "-static", "-O2", "-o", program,
                    os.path.join(ROOT, "tools/bench/syscalls.c")], check=True)

    def parse(text):
        values = {}
        for line in text.splitlines():
            if line.startswith("BENCH "):
                _, name, value = line.split()
                values[name] = int(value)
        return values

    keel_runs = [parse(subprocess.run([os.path.join(ROOT, "tools/run-program"),
                                       os.path.join(ROOT, "build/complete/solution"), program],
                                      capture_output=True, text=True, timeout=120,
                                      stdin=subprocess.DEVNULL).stdout)
                 for _ in range(runs)]
    linux_runs = []
    for _ in range(3):
        result = subprocess.run([os.path.join(ROOT, "tools/bench/linux-guest.sh"), program],
                                capture_output=True, text=True, timeout=400)
        if result.returncode != 0 or "BENCH" not in result.stdout:
            print("  Linux guest not available: " + (result.stderr.strip().splitlines() or ["?"])[-1])
            break
        linux_runs.append(parse(result.stdout))
    for name in ("null_syscall_ticks", "fork_exit_wait_ticks"):
        keel = statistics.median(r[name] for r in keel_runs if name in r)
        line = f"  {name:<28} Keel {keel:10.0f}"
        if linux_runs:
            linux = statistics.median(r[name] for r in linux_runs)
            line += f"   Linux {linux:10.0f}   Keel/Linux {keel / linux:5.2f}"
        print(line, flush=True)

    # The Linux platform runs the program in a traced child process: the
    # ticks are the host's, each system call a ptrace round trip.
    make("kernel", "LAB=complete", "SOLUTION=1", "PLATFORM=linux")
    hosted = [parse(subprocess.run([os.path.join(ROOT, "tools/run-program"),
                                    os.path.join(ROOT, "build/complete/solution-linux"), program],
                                   capture_output=True, text=True, timeout=120,
                                   stdin=subprocess.DEVNULL).stdout)
              for _ in range(runs)]
    for name in ("null_syscall_ticks", "fork_exit_wait_ticks"):
        values = [r[name] for r in hosted if name in r]
        if values:
            print(f"  {name:<28} Keel on the Linux platform (host TSC) {statistics.median(values):10.0f}",
                  flush=True)
    grade_figures(runs)


def grade_figures(runs):
    """`make grade … SOLUTION=1` of every lab on both platforms, wall clock."""
    for lab in sorted(os.path.basename(os.path.dirname(p))
                      for p in glob.glob(os.path.join(ROOT, "lab*/lab.mk"))):
        for platform in ("pc", "linux"):
            def grade(platform=platform):
                start = time.monotonic()
                result = subprocess.run(["make", "--no-print-directory", "grade", f"LAB={lab}",
                                         "SOLUTION=1", f"PLATFORM={platform}"], cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if result.returncode != 0:
                    raise RuntimeError(f"make grade LAB={lab} PLATFORM={platform} failed")
                return time.monotonic() - start
            # The Linux platform's are fast enough for as many runs as the rest.
            report(f"make grade LAB={lab} SOLUTION=1 PLATFORM={platform}",
                   median(grade, max(runs, 5) if platform == "linux" else 3), unit="s")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
