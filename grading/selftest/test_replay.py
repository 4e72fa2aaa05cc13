"""Record and replay (keelgrade/recording.py, tools/gdb/keel_replay.py): a
planted corruption in the framework's self-test kernel (test_crash.c: one
function stores past its array into a guard word, a later check panics) is
recorded as make grade records a failed test, then a scripted gdb session on
the replay goes from the panic, through a watchpoint on the guard and
reverse-continue (keel-reverse-continue in a replay), back to the guilty
store's line."""
import os
import shutil
import subprocess

from keelgrade import recording
from keelgrade.commands import replay_hint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build/framework-tests/solution/kernel.elf")
SOURCE = "framework/tests/test_crash.c"
TEST = "crash_corrupted_by_an_earlier_store"


def guilty_line():
    with open(os.path.join(ROOT, SOURCE)) as f:
        return next(i for i, line in enumerate(f, 1) if "GUILTY STORE" in line)


def test_reverse_continue_from_a_panic_lands_on_the_guilty_store(tmp_path):
    subprocess.run(["make", "--no-print-directory", "-s", "kernel", "LAB=framework-tests",
                    "SOLUTION=1"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    kernel = tmp_path / "kernel.elf"
    shutil.copy(KERNEL, kernel)
    directory = recording.record(str(kernel), f"keel.test={TEST}", TEST, 60)
    assert directory == str(tmp_path / "replays" / TEST)
    assert recording.failed_again(directory, TEST)
    with open(os.path.join(directory, "output.txt")) as f:
        assert "the ledger's guard word changed" in f.read()
    run = subprocess.run(
        ["gdb", "-q", "-batch", "-nx", "-ex", "set architecture i386:x86-64",
         "-ex", f"file {directory}/kernel.elf", "-ex", "source tools/gdb/keel.py",
         "-ex", "source tools/gdb/keel_replay.py", "-ex", f"keel-replay-open {directory}",
         "-ex", "watch -l crash_ledger.guard", "-ex", "reverse-continue",
         "-ex", "print/x crash_ledger.guard", "-ex", "reverse-finish"],
        cwd=ROOT, capture_output=True, text=True, timeout=240)
    out = run.stdout + run.stderr
    # make replay stops where the run failed: in the panic, before the power-off.
    assert "stopped where the run ended" in out and "panic_at" in out, out
    # Backwards from the panic to the store that changed the guard word...
    assert f"{SOURCE}:{guilty_line()}" in out, out
    assert "just before the store that changed it" in out and "$1 = 0x600dc0de" in out, out
    # ...and out of the guilty function to its call.
    assert "Back in the caller of crash_helper_record_samples" in out, out
    assert "ktest_fn_crash_corrupted_by_an_earlier_store" in out, out


def test_a_recorded_console_cannot_fill_the_disk(tmp_path, monkeypatch):
    """The recorded run's console goes to a file, outside the graders' bounded
    pipe: its size is limited (here to 512 bytes, less than the test's ~900,
    so the limit must have stopped it)."""
    subprocess.run(["make", "--no-print-directory", "-s", "kernel", "LAB=framework-tests",
                    "SOLUTION=1"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    kernel = tmp_path / "kernel.elf"
    shutil.copy(KERNEL, kernel)
    monkeypatch.setitem(recording.RECORD_LIMITS, recording.resource.RLIMIT_FSIZE, 512)
    directory = recording.record(str(kernel), f"keel.test={TEST}", TEST, 60)
    assert directory is not None  # the recording up to the limit is kept
    assert os.path.getsize(os.path.join(directory, "output.txt")) <= 512


def test_verdict_line_names_the_replay_command():
    line = replay_hint("lab2-mm", "buddy_seeded_workload", solution=True)
    assert "make replay LAB=lab2-mm TEST=buddy_seeded_workload SOLUTION=1" in line
    assert "passed this time" in replay_hint("lab2-mm", "x", failed_again=False)


def test_linux_platform_says_what_to_use_instead():
    run = subprocess.run(["make", "--no-print-directory", "replay", "LAB=lab2-mm", f"TEST={TEST}",
                          "PLATFORM=linux"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "make gdb PLATFORM=linux LAB=lab2-mm CMDLINE='keel.test=" in run.stderr, run.stderr
    assert "docs/debugging.md" in run.stderr, run.stderr
