#!/usr/bin/env python3
"""make doctor: check this machine's set-up for Keel and say exactly what to fix.

    doctor.py [--python /usr/bin/python3] [--root DIR]

Checks the tools (compiler, binutils, make, QEMU 7 or newer, GRUB, xorriso,
mtools, Bochs, gdb, pytest with xdist and pexpect for the Python that runs
the graders), that bubblewrap can make the sandbox grading needs, then builds
the calibration kernel (the framework alone) and boots a known-good kernel in
QEMU (in a handout the one shipped prebuilt, lib/known-good-kernel.elf, so
nothing in the student's tree can change it), reporting the framework's READY
and DONE lines. Every problem comes with what to do.
Exit status 0 when all is well, 1 otherwise. Standard library only."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

GRADING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, GRADING)

APT = "sudo apt-get install"


class Doctor:
    def __init__(self):
        self.problems = []

    def ok(self, what):
        print(f"  [ok]      {what}")

    def problem(self, what, fix):
        print(f"  [PROBLEM] {what}")
        print(f"            fix: {fix}")
        self.problems.append((what, fix))

    def note(self, what):
        print(f"  [note]    {what}")


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (out.stdout + out.stderr).strip().splitlines()
    return lines[0] if lines else ""


def version_of(line):
    found = re.search(r"(\d+)\.(\d+)", line or "")
    return tuple(map(int, found.groups())) if found else None


def check_command(doc, cmd, package, minimum=None, args=("--version",)):
    if not shutil.which(cmd):
        doc.problem(f"{cmd} is not installed", f"{APT} {package}")
        return False
    line = first_line([cmd, *args]) or "(no version)"
    if minimum:
        found = version_of(line)
        if found is None or found < minimum:
            doc.problem(f"{cmd} is too old: {line} (Keel needs {minimum[0]}.{minimum[1]} or newer)",
                        f"upgrade it: {APT} --only-upgrade {package} (Debian 12 'bookworm' or "
                        "newer has a recent enough one)")
            return False
    doc.ok(f"{cmd}: {line}")
    return True


def check_file(doc, path, what, package):
    if os.path.exists(path):
        doc.ok(what)
        return True
    doc.problem(f"{what} is missing ({path})", f"{APT} {package}")
    return False


def check_python(doc, python):
    modules = [("pytest", "python3-pytest"), ("xdist", "python3-pytest-xdist"),
               ("pexpect", "python3-pexpect")]
    if not os.path.exists(python) and not shutil.which(python):
        doc.problem(f"the Python that runs the graders ({python}) does not exist",
                    f"{APT} python3, or run make with PYTHON=/path/to/python3")
        return
    for module, package in modules:
        probe = first_line([python, "-c", f"import {module}; print(getattr({module}, "
                                          f"'__version__', 'present'))"])
        if probe is None or "Error" in probe or "Traceback" in probe:
            doc.problem(f"{python} cannot import {module}",
                        f"{APT} {package}  (graders run as: {python} -m pytest)")
        else:
            doc.ok(f"{module} {probe} for {python}")


def check_tools(doc, python):
    print("Tools:")
    check_command(doc, "gcc", "gcc", (10, 0))
    check_command(doc, "ld", "binutils")
    check_command(doc, "addr2line", "binutils")
    check_command(doc, "make", "make")
    check_command(doc, "qemu-system-x86_64", "qemu-system-x86", (7, 0))
    check_command(doc, "grub-mkrescue", "grub-common")
    check_file(doc, "/usr/lib/grub/i386-pc/multiboot2.mod", "GRUB's BIOS modules (grub-pc-bin)",
               "grub-pc-bin")
    check_command(doc, "xorriso", "xorriso")
    check_command(doc, "mformat", "mtools")
    if shutil.which("bochs"):
        doc.ok(f"bochs: {shutil.which('bochs')}")
        check_file(doc, "/usr/share/bochs/BIOS-bochs-latest", "Bochs's BIOS (bochsbios)",
                   "bochsbios")
        check_file(doc, "/usr/share/vgabios/vgabios.bin", "Bochs's VGA BIOS (vgabios)", "vgabios")
        check_file(doc, "/usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so",
                   "Bochs's terminal display (bochs-term)", "bochs-term")
    else:
        doc.problem("bochs is not installed", f"{APT} bochs bochsbios vgabios bochs-term")
    check_command(doc, "gdb", "gdb")
    check_python(doc, python)
    if os.path.exists("/dev/kvm"):
        doc.note("/dev/kvm exists; Keel uses QEMU's TCG emulator anyway, so every machine "
                 "behaves the same")


def check_sandbox(doc):
    """Grading builds and runs student code only inside bubblewrap."""
    from keelgrade import sandbox
    if not sandbox.enabled():
        doc.note(f"{sandbox.OPT_OUT}=off: student code is built and run WITHOUT the sandbox "
                 "(only for a machine that is itself a throw-away container)")
        return
    why = sandbox.problem()
    if why:
        doc.problem(f"no sandbox for student code: {why}; grading refuses to run student code "
                    "without one",
                    f"{APT} bubblewrap, and allow user namespaces (sysctl "
                    "kernel.unprivileged_userns_clone=1; in Docker, --security-opt "
                    f"seccomp=unconfined); or, on a throw-away machine only, {sandbox.OPT_OUT}=off")
    else:
        doc.ok("bubblewrap makes a sandbox here (new namespaces, read-only file system, no "
               "network): student code is built and run inside it")


# In a handout: the calibration kernel as Keel built it (labs/mkhandout.sh),
# known good whatever this tree holds.
SHIPPED = os.path.join("lib", "known-good-kernel.elf")


def check_boot(doc, root):
    """Boot the known-good kernel (shipped in a handout, else built from the
    framework's sources); report READY and DONE. In a handout, also build
    the calibration kernel: this machine's compiler and linker at work."""
    from keelgrade import boot, build, calibration
    print("Booting a known-good kernel in QEMU:")
    shipped = os.path.join(root, SHIPPED)
    try:
        built = calibration.known_good_kernel(root)
        doc.ok(f"this machine builds a kernel: {os.path.relpath(built, root)} (labs/calibration, "
               "the framework alone)")
    except build.BuildError as error:
        built = None
        doc.problem("the calibration kernel (the framework alone, no lab code) does not build "
                    "here:\n" + str(error),
                    "read the compiler errors above; if they name missing programs, fix those "
                    "first, then run make doctor again")
    elf = shipped if os.path.exists(shipped) else built
    if elf is None:
        return
    if elf == shipped:
        doc.ok(f"booting {SHIPPED}: the calibration kernel as Keel built it for this handout")
    with tempfile.TemporaryDirectory(prefix="keel-doctor-") as work:
        start = time.monotonic()
        machine = boot.boot(elf, "keel.test=none", work, timeout=120)
        seconds = time.monotonic() - start
        transcript = machine.transcript()
        if transcript.ready:
            doc.ok(f"READY: the framework started (booted by {transcript.first('READY')})")
        else:
            detail = machine.stderr_text() or transcript.tail(10) or "(no output at all)"
            doc.problem(f"the kernel never printed READY (QEMU ended: {machine.ended}, exit code "
                        f"{machine.exit_code}):\n{detail}",
                        "check that qemu-system-x86_64 runs at all (qemu-system-x86_64 "
                        "-version) and that build/ is writable; then make clean and try again")
            return
        if transcript.done is not None and transcript.exit_status == 0:
            doc.ok(f"DONE and EXIT 0: the kernel powered off cleanly ({seconds:.2f} s from "
                   "starting QEMU)")
        else:
            doc.problem(f"the kernel did not power off cleanly (DONE: {transcript.done}, EXIT: "
                        f"{transcript.exit_status}, QEMU ended: {machine.ended})",
                        "is QEMU started with -device isa-debug-exit? Report this with the "
                        "output of make doctor")
            return
    timeout = calibration.timeout_for(seconds)
    doc.note(f"a plain test here may take up to {timeout:.0f} s before it counts as a hang")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="/usr/bin/python3")
    parser.add_argument("--root", default=os.path.dirname(GRADING))
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)

    doc = Doctor()
    print("Keel doctor: checking this machine")
    check_tools(doc, args.python)
    check_sandbox(doc)
    build_tools = all(shutil.which(c) for c in ("gcc", "ld", "make", "qemu-system-x86_64"))
    if build_tools:
        check_boot(doc, root)
    else:
        doc.note("not booting a kernel until the compiler, make and QEMU are installed")

    if doc.problems:
        print(f"\n{len(doc.problems)} problem(s). To fix them:")
        for _, fix in doc.problems:
            print(f"  - {fix}")
        print("Or run `make deps`, which installs everything Keel uses with apt-get "
              "(needs root or sudo).")
        return 1
    print("\nEverything Keel needs is here.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
