"""The framework's self-test kernel on the Linux platform: the same in-kernel
tests pass, and each deliberate crash gets the verdict that names it. Where
the platform catches a bug another way than a PC (AddressSanitizer finds a
heap overflow at the write, the always-on undefined-behaviour sanitizer a
NULL store before the page fault), the verdict names that."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade.lab import Lab  # noqa: E402
from keelgrade.linux_machine import LinuxMachine  # noqa: E402
from keelgrade.verdict import judge_test  # noqa: E402
from keelgrade import verdict as v  # noqa: E402
from test_framework import LEAKS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# test: (the verdict's kind, what it must say). crash_triple_fault has no
# counterpart: a process cannot reset its CPU.
REPORTS = {
    "crash_panic": (v.PANIC, ["deliberate panic for the self-test (value 42)", "test_crash.c:",
                              "crash_helper_panics+", "ktest_main+", "Registers:"]),
    "crash_invalid_opcode": (v.EXCEPTION, ["invalid opcode", "crash_helper_invalid_opcode", "RIP "]),
    "crash_null_dereference": (v.PANIC, ["store to a NULL pointer", "test_crash.c:"]),
    # A process sees the fault at the call, with the target only in memory
    # (the report reads it there).
    "crash_call_past_table_end": (v.EXCEPTION, ["general protection fault",
                                                "ktest_fn_crash_call_past_table_end",
                                                'jumped to the text "breakpoi"',
                                                "past the end of a table?"]),
    "crash_stack_overflow": (v.EXCEPTION, ["kernel stack overflow", "guard page",
                                           "crash_helper_recurse", "repeats"]),
    "crash_hang": (v.HANG, ["stopped making progress", "RIP ", "crash_helper_spin"]),
    "crash_test_failure": (v.FAIL, ["deliberately wrong arithmetic", "got 2", "expected 3"]),
    "no_such_test_here": (v.NOT_FOUND, ["no_such_test_here"]),
    "crash_undefined_behaviour": (v.PANIC, ["undefined behaviour: addition overflows type 'int'"]),
    "crash_frame_double_free": (v.PANIC, ["BUG CAUGHT BY KEEL", "double free of frame",
                                          "ktest_fn_crash_frame_double_free"]),
    "crash_frame_wrong_order": (v.PANIC, ["allocated as order 1 but freed as order 0"]),
    "crash_frame_free_while_shared": (v.PANIC, ["other owners still share",
                                                "ktest_fn_crash_frame_free_while_shared"]),
    "crash_frame_unref_too_many": (v.PANIC, ["frame_unref", "the frame is free",
                                             "ktest_fn_crash_frame_unref_too_many"]),
    "crash_frame_free_kernel": (v.PANIC, ["never allocated", "kernel image"]),
    "crash_heap_overflow": (v.PANIC, ["AddressSanitizer: use-after-poison", "outside a kmalloc block",
                                      "ktest_fn_crash_heap_overflow", "test_memory.c:"]),
    "crash_heap_double_free": (v.PANIC, ["double kfree"]),
    "crash_heap_use_after_free": (v.PANIC, ["AddressSanitizer: use-after-poison", "freed",
                                            "ktest_fn_crash_heap_use_after_free"]),
    "crash_noncanonical_sysret": (v.PANIC, ["not canonical", "0x800000000000"]),
    "crash_unbalanced_pop_off": (v.PANIC, ["irq_pop_off without a matching irq_push_off"]),
    "crash_sleep_holding_spinlock": (v.PANIC, ["may not sleep", "spin lock 'test lock'",
                                               "ktest_fn_crash_sleep_holding_spinlock"]),
    "crash_spinlock_taken_twice": (v.PANIC, ["taken twice"]),
    "crash_everyone_asleep_under_perturbation": (v.PANIC, [
        "every thread is asleep (1 of them)", "seed 7", "lost wakeup", "thread 'main'",
        "ktest_fn_crash_everyone_asleep_under_perturbation"]),
    "crash_thread_stack_overflow": (v.EXCEPTION, ["kernel stack overflow", "thread 'deep'"]),
    "crash_thread_free_while_ready": (v.PANIC, [
        "thread_free of thread 'queued', which has not ended: it is ready",
        "ktest_fn_crash_thread_free_while_ready"]),
    **{test: (v.FAIL, words) for test, words in LEAKS.items()},
}


@pytest.fixture(scope="module")
def framework_tests():
    return Lab(ROOT, "framework-tests", solution=True, checked=False, platform="linux")


def test_every_self_test_passes_on_linux(framework_tests, tmp_path):
    verdict, transcript, machine = framework_tests.run_ktest("all", str(tmp_path))
    passed, failed = transcript.done
    assert failed == 0 and passed >= 12, transcript.text
    assert transcript.exit_status == 0 and machine.exit_code == 1  # (0 << 1) | 1


@pytest.mark.parametrize("test", sorted(REPORTS))
def test_crash_is_reported_on_linux(framework_tests, test, tmp_path):
    kind, fragments = REPORTS[test]
    verdict, transcript, _ = framework_tests.run_ktest(test, str(tmp_path))
    text = verdict.explain(transcript)
    assert verdict.kind == kind, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} missing from the verdict:\n{text}"


def test_forged_frame_is_ignored_on_linux(framework_tests, tmp_path):
    verdict, transcript, _ = framework_tests.run_ktest("crash_forged_pass", str(tmp_path))
    assert not verdict.passed and transcript.forged == 1, verdict.explain(transcript)


def run_with_archive(framework_tests, test, tmp_path, files):
    archive = tmp_path / "programs.cpio"
    subprocess.run([sys.executable, os.path.join(ROOT, "tools/mkprograms.py"), str(archive),
                    *files], check=True)
    with LinuxMachine(framework_tests.kernel.elf, f"keel.test={test}", str(tmp_path / "run"),
                      extra_args=[f"--initrd={archive}"]) as machine:
        machine.run_to_end(framework_tests.timeout(3))
        transcript = machine.transcript()
    verdict = judge_test(machine, transcript, test)
    assert verdict.passed, verdict.explain(transcript)


def test_boot_archive_on_linux(framework_tests, tmp_path):
    """The boot archive arrives as --initrd, indexed as on a PC."""
    (tmp_path / "hello.txt").write_text("hello from a boot archive\n")
    (tmp_path / "odd").write_text("12345")
    (tmp_path / "empty").write_text("")
    run_with_archive(framework_tests, "needs_boot_archive", tmp_path,
                     [f"hello.txt={tmp_path / 'hello.txt'}", f"bin/odd={tmp_path / 'odd'}",
                      f"empty={tmp_path / 'empty'}"])


def test_musl_program_in_user_mode_on_linux(framework_tests, tmp_path):
    run_with_archive(framework_tests, "needs_musl_hello", tmp_path,
                     [f"hello={os.path.join(ROOT, 'build/user/hello')}"])
