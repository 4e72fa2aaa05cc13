"""make debug LAB=… TEST=name: one in-kernel test under gdb in one terminal,
driven here through GDB_BATCH, for one test per lab on both platforms: gdb
stops at the test's function with its source line, a lab function's
arguments have values (DEBUG=1 compiles lab code at -O0), nothing is left
running; and a failing test's verdict names the very command that does it."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "grading"))

from keelgrade.commands import debug_command  # noqa: E402
from keelgrade.verdict import FAIL, Verdict  # noqa: E402

# lab: (an in-kernel test, a lab function with arguments that the test calls)
CASES = {
    "lab1-boot": ("serial_putc_translates_newline", "serial_putc"),
    "lab2-mm": ("pt_map_then_translate", "pt_map"),
    "lab3-trap": ("describe_page_fault_write_not_present", "exception_describe"),
    "lab4-sched": ("semaphore_limits_concurrency", "semaphore_init"),
    "lab5-user": ("stack_holds_argv_and_envp", "stack_setup"),
}
SESSION_SECONDS = 240


def batch_file(tmp_path, function):
    """gdb commands run once make debug has stopped at the test: into the
    lab function, two lines on, its arguments and the stack."""
    path = tmp_path / "batch.gdb"
    path.write_text("echo ==STOPPED==\\n\nbt 3\n"
                    f"break {function}\ncontinue\nnext\nnext\n"
                    "echo ==ARGS==\\n\ninfo args\necho ==BT==\\n\nbt 2\necho ==END==\\n\n")
    return path


def between(text, start, end):
    return text.split(start, 1)[1].split(end, 1)[0] if start in text and end in text else ""


def kernel_processes(kernel):
    """Live processes (QEMU, the kernel) whose command line names `kernel`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                words = f.read().split(b"\0")
        except OSError:
            continue
        if any(kernel.encode() in w for w in words) and int(pid) != os.getpid():
            found.append((pid, b" ".join(words).decode(errors="replace")))
    return found


def make_debug(tree_make, lab, test, platform, batch, *variables):
    """Build the DEBUG=1 kernel under the build lock, then run make debug
    (which finds it built) bounded by a timeout; its output, its kernel."""
    options = [f"LAB={lab}", f"PLATFORM={platform}", *variables]
    built = tree_make("-s", "kernel", "DEBUG=1", *options, capture_output=True, text=True,
                      timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    kernel_dir = subprocess.run(["make", "-s", "--no-print-directory", "print-kernel-dir",
                                 "DEBUG=1", *options], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
    run = subprocess.run(["timeout", "-k", "10", str(SESSION_SECONDS), "make", "--no-print-directory",
                          "debug", *options, f"TEST={test}", f"GDB_BATCH={batch}"],
                         cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=SESSION_SECONDS + 30)
    kernel = os.path.join(ROOT, kernel_dir, "kernel.elf")
    assert run.returncode != 124, "make debug did not finish within the timeout:\n" + run.stdout[-4000:]
    assert not kernel_processes(kernel_dir + "/kernel.elf"), kernel_processes(kernel_dir + "/kernel.elf")
    return run.stdout + run.stderr, kernel


@pytest.mark.parametrize("platform", ["linux", "pc"])
@pytest.mark.parametrize("lab", sorted(CASES))
def test_make_debug_stops_at_the_test_with_arguments(lab, platform, tmp_path, tree_make):
    test, function = CASES[lab]
    out, _ = make_debug(tree_make, lab, test, platform, batch_file(tmp_path, function), "SOLUTION=1")
    assert re.search(rf"Breakpoint 1, ktest_fn_{test} \(\) at {lab}/tests/\w+\.c:(\d+)\n\1\t", out), \
        out[-5000:]
    stack = between(out, "==STOPPED==", f"Breakpoint 3, {function}")
    assert re.search(r"#1 .* in run_one \(test=", stack), out[-5000:]
    args = between(out, "==ARGS==", "==BT==")
    values = re.findall(r"^(\w+) = (.+)$", args, re.M)
    assert values and not any("<optimized out>" in v for _, v in values), out[-5000:]
    assert re.search(rf"#0 +{function} \(\w+=", between(out, "==BT==", "==END==")), out[-5000:]


def test_plain_build_shows_arguments_as_optimized_out(tmp_path, tree_make):
    """What the check above guards against: the graded (optimised) kernel,
    under the same commands, loses pt_map's arguments."""
    built = tree_make("-s", "kernel", "LAB=lab2-mm", "SOLUTION=1", "PLATFORM=linux",
                      capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    kernel = os.path.join(ROOT, "build/lab2-mm/solution-linux/kernel.elf")
    run = subprocess.run(["gdb", "-q", "-batch", "-nx", "-ex",
                          "handle SIGSEGV SIGALRM SIGUSR1 SIGSYS nostop noprint pass",
                          "-ex", "set startup-with-shell off", "-ex",
                          "break ktest_fn_pt_map_then_translate", "-ex", "run",
                          "-x", str(batch_file(tmp_path, "pt_map")),
                          "--args", kernel, "keel.test=pt_map_then_translate"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120,
                         stdin=subprocess.DEVNULL)
    assert "<optimized out>" in between(run.stdout, "==ARGS==", "==BT=="), run.stdout[-3000:]


@pytest.mark.parametrize("platform", ["linux", "pc"])
def test_failure_verdict_names_the_make_debug_command_that_works(platform, tmp_path, tree_make):
    """A failing in-kernel test (lab 2's skeleton) prints make debug's
    command; that command, as printed, stops at the failing test and then at
    the check that failed."""
    from keelgrade.lab import Lab
    lab = Lab(ROOT, "lab2-mm", False, False, platform)
    test = "buddy_splits_only_what_it_needs"
    with pytest.raises(pytest.fail.Exception) as failed:
        lab.check_ktest(test, str(tmp_path))
    lab.close()
    command = re.search(r"To debug this test in gdb, stopped at its first line: (make debug .*)",
                        str(failed.value))
    assert command, str(failed.value)
    expected = f"make debug LAB=lab2-mm TEST={test}" + (" PLATFORM=linux" if platform == "linux" else "")
    assert command.group(1) == expected, command.group(1)
    batch = tmp_path / "batch.gdb"
    batch.write_text("continue\necho ==FAILED==\\n\nbt 2\n")
    out, _ = make_debug(tree_make, "lab2-mm", test, platform, batch)
    assert f"Breakpoint 1, ktest_fn_{test} ()" in out, out[-4000:]
    assert re.search(r"Breakpoint 2, ktest_fail_at \(.*line=\d+", out), out[-4000:]
    assert re.search(rf"#1 .* ktest_fn_{test} \(\) at lab2-mm/tests/", out), out[-4000:]


@pytest.mark.parametrize("platform", ["linux", "pc"])
def test_make_debug_stops_where_a_crash_is_reported(platform, tmp_path, tree_make):
    """A crash never reaches ktest_fail_at: gdb stops where Keel reports it
    (on the PC the CPU exception's report, on Linux UBSan's panic for the
    same NULL store), says so, and the stack leads back to the test."""
    batch = tmp_path / "batch.gdb"
    batch.write_text("continue\necho ==CRASHED==\\n\nbt 8\n")
    out, _ = make_debug(tree_make, "framework-tests", "crash_null_dereference", platform, batch)
    crashed = between(out, "\nThe test crashed: ", "==CRASHED==")
    if platform == "pc":
        assert crashed.startswith("a CPU exception that nothing handled") and "keel-tf" in crashed, \
            out[-4000:]
        assert re.search(r"#0 +trap_print_report \(frame=", out), out[-4000:]
    else:
        assert crashed.startswith("the kernel called panic_at"), out[-4000:]
        assert re.search(r"#\d .* ktest_fn_crash_null_dereference \(\) at framework/tests/", out), \
            out[-4000:]


def test_make_debug_on_linux_stops_at_an_addresssanitizer_report(tmp_path, tree_make):
    """AddressSanitizer ends the process without calling a Keel function:
    make debug stops in its death callback, after the report, and names the
    frame of the access it caught."""
    batch = tmp_path / "batch.gdb"
    batch.write_text("continue\necho ==CRASHED==\\n\nbt 8\n")
    out, _ = make_debug(tree_make, "framework-tests", "crash_heap_overflow", "linux", batch)
    assert "ERROR: AddressSanitizer" in out, out[-4000:]
    caught = re.search(r"The test crashed: AddressSanitizer found a memory error .* The access it "
                       r"caught: ktest_fn_crash_heap_overflow at framework/tests/test_memory\.c:\d+ "
                       r"\(frame (\d+): type frame \d+ to go there\)", out)
    assert caught, out[-4000:]
    assert re.search(rf"#{caught.group(1)} .* ktest_fn_crash_heap_overflow \(\) at "
                     r"framework/tests/test_memory\.c", out.split("==CRASHED==", 1)[-1]), out[-4000:]


def test_debug_command_for_each_way_of_grading():
    assert debug_command("lab4-sched", "rr_runs_in_order", "pc") == \
        "make debug LAB=lab4-sched TEST=rr_runs_in_order"
    assert debug_command("lab3-trap", "t", "linux", solution=True, checked=True,
                         use_mine="lab1-boot,lab2-mm",
                         cmdline="keel.test=t keel.seed=7 keel.perturb=3") == \
        "make debug LAB=lab3-trap TEST=t PLATFORM=linux SOLUTION=1 USE_MINE=lab1-boot,lab2-mm " \
        "CMDLINE='keel.seed=7 keel.perturb=3'"
    assert debug_command("lab2-mm", "t", "pc", checked=True) == \
        "make debug LAB=lab2-mm TEST=t CHECKED=1"
    text = Verdict(FAIL, "broken").explain(rerun="make linux", debug="make debug LAB=x TEST=t")
    assert "To debug this test in gdb, stopped at its first line: make debug LAB=x TEST=t" in text
    assert "make debug" not in Verdict("pass", "passed").explain(debug="make debug LAB=x TEST=t")


def test_make_debug_names_the_tests_it_has():
    run = subprocess.run(["make", "--no-print-directory", "-s", "debug", "LAB=lab2-mm", "SOLUTION=1",
                          "PLATFORM=linux", "TEST=no_such_test"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert run.returncode != 0
    assert "has no test called 'no_such_test'" in run.stderr and "pt_map_then_translate" in run.stderr, \
        run.stderr[-3000:]
    run = subprocess.run(["make", "--no-print-directory", "-s", "debug", "LAB=lab2-mm", "SOLUTION=1",
                          "PLATFORM=linux"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode != 0 and "make debug needs TEST=name" in run.stderr, run.stderr


@pytest.mark.parametrize("platform", ["linux", "pc"])
def test_make_debug_killed_leaves_nothing_running(platform, tree_make):
    """make debug ended from outside while gdb waits at its prompt (a closed
    terminal, a timeout: make passes SIGTERM on): gdb, the kernel and QEMU
    all end."""
    import signal
    import time
    lab, test = "lab2-mm", "pt_map_then_translate"
    options = [f"LAB={lab}", "SOLUTION=1", f"PLATFORM={platform}"]
    built = tree_make("-s", "kernel", "DEBUG=1", *options, capture_output=True, text=True,
                      timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    kernel = f"{lab}/solution{'-linux' if platform == 'linux' else ''}-debug/kernel.elf"
    session = subprocess.Popen(["make", "--no-print-directory", "debug", *options, f"TEST={test}"],
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        seen, deadline = b"", time.monotonic() + SESSION_SECONDS
        while b"Breakpoint 1, ktest_fn_" not in seen and time.monotonic() < deadline:
            line = session.stdout.readline()
            if not line:
                break
            seen += line
        assert b"Breakpoint 1, ktest_fn_" in seen, seen.decode(errors="replace")[-3000:]
        assert kernel_processes(kernel), "no kernel process while gdb waits"
        session.send_signal(signal.SIGTERM)
        session.wait(timeout=30)
        for _ in range(100):
            if not kernel_processes(kernel):
                break
            time.sleep(0.1)
        assert not kernel_processes(kernel), kernel_processes(kernel)
    finally:
        if session.poll() is None:
            os.killpg(session.pid, signal.SIGKILL)
            session.wait()
