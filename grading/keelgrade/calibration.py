"""Timeouts that scale with the machine.

Once per grading run, boot a known-good kernel that does nothing (the
calibration kernel, labs/calibration: the framework without any lab code, so
nothing a student writes can stretch the timeouts; keel.test=none: the
framework starts, emits READY, DONE and EXIT, and powers off) and time it
from QEMU's start to its exit; the best of CALIBRATION_RUNS boots is
"boot_seconds". A test's timeout is then

    min(CEILING_SECONDS, max(FLOOR_SECONDS, FACTOR * boot_seconds * multiplier))

where `multiplier` is the test's own: how many plain boots' worth of work it
does (1 for a plain test; more for heavy ones). The floor absorbs scheduling
noise, so on a fast machine even a heavy test gets just the floor; the
ceiling bounds what any one test can cost. A slow or
overloaded machine does not fail correct code, and a hung kernel is not waited
on much longer than needed. Nothing here asserts on speed.

Measured (QEMU 7.2 TCG, -M q35, 2 cores): boot_seconds is 0.09-0.16 s, so
FACTOR*boot_seconds is 3-5 s and a plain test gets the 8 s floor; an
in-kernel test of lab 1 takes 0.1-0.2 s in all. The floor covers scheduling
noise with every core busy (pytest -n auto); FACTOR covers machines where
emulation itself is slow (CI runners, laptops on battery).

Parallel workers (pytest-xdist) share one measurement through
build/.calibration-PLATFORM.json, taken under a lock; it is reused for MAX_AGE_SECONDS
if it was made on the same host with the same QEMU and kernel. If the
measurement fails (no known-good kernel builds, say), FALLBACK_SECONDS is used
and the reason is kept in `last_problem` (shown by make doctor)."""
import fcntl
import json
import os
import shutil
import socket
import tempfile
import time

from .boot import boot
from .build import BuildError, build_kernel
from .qemu_machine import QEMU, QemuMissing

FLOOR_SECONDS = 8.0
FACTOR = 30.0
CEILING_SECONDS = 120.0   # per test, whatever the calibration or the multiplier
CALIBRATION_RUNS = 2
MAX_AGE_SECONDS = 1800
FALLBACK_SECONDS = 1.0   # used when calibration is impossible: gives 30 s timeouts

last_problem = None
_measured = {}   # (root, platform) -> seconds, in this process


def known_good_kernel(root, platform="pc"):
    """The calibration kernel (labs/calibration: the framework and the test
    runner, no lab code), in the tree and in every handout: what the student
    writes never sets the timeouts, and every lab shares the measurement."""
    return build_kernel(root, "calibration", solution=True, platform=platform).elf


def measure(kernel_elf, runs=CALIBRATION_RUNS):
    """Seconds from starting QEMU until the kernel powered off, best of `runs`."""
    best = None
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="keel-cal-") as work:
            start = time.monotonic()
            machine = boot(kernel_elf, "keel.test=none", work, timeout=120)
            elapsed = time.monotonic() - start
            transcript = machine.transcript()
            if transcript.exit_status != 0 or not transcript.ready:
                raise RuntimeError("the known-good kernel did not boot and power off cleanly "
                                   f"(ended: {machine.ended}, exit code {machine.exit_code}):\n"
                                   + (transcript.tail(30) or machine.stderr_text()))
        best = elapsed if best is None else min(best, elapsed)
    return best


def _key(kernel_elf):
    qemu = shutil.which(QEMU) or QEMU
    try:
        stamp = os.stat(kernel_elf).st_mtime
        qemu_stamp = os.stat(qemu).st_mtime
    except OSError:
        stamp = qemu_stamp = 0
    return f"{socket.gethostname()}|{os.cpu_count()}|{qemu}@{qemu_stamp}|{kernel_elf}@{stamp}"


def boot_seconds(root, platform="pc"):
    """The calibrated boot time, measured once and shared through build/."""
    if (root, platform) not in _measured:
        _measured[(root, platform)] = _shared_measurement(root, platform)
    return _measured[(root, platform)]


def _shared_measurement(root, platform="pc"):
    global last_problem
    path = os.path.join(root, "build", f".calibration-{platform}.json")
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            # A measurement of the kernel as built is good without building
            # it again (the key holds its path and time stamp).
            try:
                with open(path) as f:
                    cached = json.load(f)
                if os.path.exists(cached["kernel"]) and cached["key"] == _key(cached["kernel"]) \
                        and time.time() - cached["when"] < MAX_AGE_SECONDS:
                    return cached["seconds"]
            except (OSError, ValueError, KeyError, TypeError):
                pass
            kernel = known_good_kernel(root, platform)
            key = _key(kernel)
            seconds = measure(kernel)
            with open(path + ".tmp", "w") as f:
                json.dump({"seconds": seconds, "when": time.time(), "key": key,
                           "kernel": kernel}, f)
            os.replace(path + ".tmp", path)
            return seconds
    except (BuildError, QemuMissing, RuntimeError, OSError) as error:
        last_problem = str(error)
        return FALLBACK_SECONDS


def timeout_for(seconds, multiplier=1.0):
    return min(CEILING_SECONDS, max(FLOOR_SECONDS, FACTOR * seconds * multiplier))
