#!/usr/bin/env python3
"""make doctor: check this machine's set-up for Keel and say exactly what to fix."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

problems = []


def say(ok, what, fix=None):
    print(f"  [{'ok' if ok else 'PROBLEM'}] {what}")
    if not ok:
        problems.append(fix or what)


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return None


def check_command(cmd, package, minimum=None):
    line = version([cmd, "--version"]) if shutil.which(cmd) else None
    if line is None:
        say(False, f"{cmd} is not installed", f"install it: apt-get install {package}")
        return
    if minimum:
        found = re.search(r"(\d+)\.(\d+)", line)
        if found and tuple(map(int, found.groups())) < minimum:
            say(False, f"{cmd}: {line} (need {minimum[0]}.{minimum[1]} or newer)",
                f"upgrade {package}")
            return
    say(True, f"{cmd}: {line}")


def main():
    lab = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] != "complete" else None
    print("Keel doctor: checking this machine")
    check_command("gcc", "gcc", (10, 0))
    check_command("ld", "binutils")
    check_command("make", "make")
    check_command("qemu-system-x86_64", "qemu-system-x86", (7, 0))
    check_command("grub-mkrescue", "grub-common")
    say(os.path.exists("/usr/lib/grub/i386-pc/multiboot2.mod"), "GRUB's BIOS modules (grub-pc-bin)",
        "install them: apt-get install grub-pc-bin")
    check_command("xorriso", "xorriso")
    say(shutil.which("mformat") is not None, "mtools (mformat)", "install it: apt-get install mtools")
    check_command("gdb", "gdb")
    say(shutil.which("bochs") is not None, "bochs", "install it: apt-get install bochs bochs-term bochsbios vgabios")
    try:
        import pytest  # noqa: F401
        say(True, f"pytest {pytest.__version__} for {sys.executable}")
    except ImportError:
        say(False, f"pytest is missing for {sys.executable}",
            "install it: apt-get install python3-pytest python3-pytest-xdist python3-pexpect")
    if os.path.exists("/dev/kvm"):
        print("  [note] /dev/kvm exists; Keel uses QEMU's TCG emulator anyway, for identical "
              "behaviour everywhere")

    if not problems:
        print("Booting a known-good kernel...")
        try:
            from keelgrade import calibration
            seconds = calibration.measure(calibration.known_good_kernel(ROOT, lab or "lab1-boot"),
                                          runs=1)
            say(True, f"a known-good kernel booted and powered off in {seconds:.2f} s")
        except Exception as error:  # report anything, this is a diagnosis tool
            say(False, f"the known-good kernel did not boot: {error}",
                "run `make kernel LAB=selftest SOLUTION=1` and read its errors")

    if problems:
        print(f"\n{len(problems)} problem(s). To fix:")
        for fix in problems:
            print(f"  - {fix}")
        print("Or run `make deps`, which installs everything Keel uses (needs root or sudo).")
        return 1
    print("\nEverything Keel needs is here.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
