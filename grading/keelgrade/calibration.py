"""Timeouts that scale with the machine.

Once per run (shared by parallel workers through a file under build/), boot
a known-good kernel that does nothing (keel.test=none) and time it from
process start to power-off. A test's timeout is then
    max(FLOOR_SECONDS, FACTOR * boot_seconds * multiplier)
so a slow machine does not fail correct code and a fast one does not wait
long for a hung kernel. Measured here (QEMU 7.2 TCG, 2 cores): ~0.25 s per
boot, so a plain test gets the 8 s floor."""
import fcntl
import json
import os
import tempfile
import time

from .runner import boot, build_kernel

FLOOR_SECONDS = 8.0
FACTOR = 30.0
MAX_AGE_SECONDS = 1800


def known_good_kernel(root, lab):
    """The framework's self-test kernel, or inside a handout (no framework
    sources) the lab kernel itself: with keel.test=none no student code runs."""
    if os.path.exists(os.path.join(root, "framework", "core")):
        return build_kernel(root, "selftest", solution=True).elf
    return build_kernel(root, lab).elf


def measure(kernel_elf, runs=2):
    best = None
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as work:
            start = time.monotonic()
            machine = boot(kernel_elf, "keel.test=none", work, timeout=120)
            elapsed = time.monotonic() - start
            if machine.transcript().exit_status is None:
                raise RuntimeError("the known-good kernel did not power off cleanly:\n"
                                   + machine.transcript().tail(30))
        best = elapsed if best is None else min(best, elapsed)
    return best


def boot_seconds(root, lab):
    """The calibrated boot time, measured once and shared through build/."""
    path = os.path.join(root, "build", ".calibration.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path) as f:
                cached = json.load(f)
            if time.time() - cached["when"] < MAX_AGE_SECONDS:
                return cached["seconds"]
        except (OSError, ValueError, KeyError):
            pass
        seconds = measure(known_good_kernel(root, lab))
        with open(path, "w") as f:
            json.dump({"seconds": seconds, "when": time.time()}, f)
        return seconds


def timeout_for(seconds, multiplier=1.0):
    return max(FLOOR_SECONDS, FACTOR * seconds * multiplier)
