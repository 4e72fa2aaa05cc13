"""The framework on its own: its in-kernel self-tests pass, on both boot paths
and in a checked build, and every way a kernel can go wrong gets the verdict
that names it, with the details a student needs."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade.lab import Lab  # noqa: E402
from keelgrade.qemu_machine import GRADER_CONNECTION, qemu_command  # noqa: E402
from keelgrade import verdict as v  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def framework_tests():
    return Lab(ROOT, "framework-tests", solution=True, checked=False)


@pytest.fixture(scope="module")
def framework_tests_checked():
    return Lab(ROOT, "framework-tests", solution=True, checked=True)


def test_every_self_test_passes(framework_tests, tmp_path):
    verdict, transcript, machine = framework_tests.run_ktest("all", str(tmp_path))
    passed, failed = transcript.done
    assert failed == 0 and passed >= 12, transcript.text
    assert transcript.exit_status == 0 and machine.exit_code == 1  # (0 << 1) | 1


def test_self_tests_pass_in_checked_build(framework_tests_checked, tmp_path):
    verdict, transcript, _ = framework_tests_checked.run_ktest("all", str(tmp_path))
    assert transcript.done and transcript.done[1] == 0, transcript.text


def test_grub_iso_boot(tmp_path):
    """The Multiboot2 path: GRUB from an ISO, command line from grub.cfg."""
    kernel = Lab(ROOT, "framework-tests", solution=True, checked=False).kernel.elf
    iso = str(tmp_path / "keel.iso")
    subprocess.run([os.path.join(ROOT, "tools/mkiso.sh"), kernel, iso, "keel.test=all keel.nonce=isoboot"],
                   check=True)
    cmd = [*qemu_command(), *GRADER_CONNECTION, "-cdrom", iso]
    result = subprocess.run(cmd, capture_output=True, timeout=120)
    out = result.stdout.decode(errors="replace")
    assert "@@keel:isoboot:READY:GRUB" in out, out[-3000:]
    assert "@@keel:isoboot:DONE:" in out and ":DONE:0 " not in out, out[-3000:]
    done = out.split("@@keel:isoboot:DONE:")[1].split()[:2]
    assert done[1] == "0", out[-3000:]


def expect(lab, test, tmp_path, kind, *fragments, multiplier=1.0):
    verdict, transcript, machine = lab.run_ktest(test, str(tmp_path), multiplier)
    text = verdict.explain(transcript)
    assert verdict.kind == kind, text
    for fragment in fragments:
        assert fragment in text, f"{fragment!r} missing from the verdict:\n{text}"
    return verdict


def test_panic_names_message_place_and_callers(framework_tests, tmp_path):
    expect(framework_tests, "crash_panic", tmp_path, v.PANIC, "deliberate panic for the self-test (value 42)",
           "test_crash.c:", "crash_helper_panics+", "ktest_main+", "Registers:")


def test_invalid_opcode_is_reported(framework_tests, tmp_path):
    expect(framework_tests, "crash_invalid_opcode", tmp_path, v.EXCEPTION, "invalid opcode",
           "crash_helper_invalid_opcode", "RIP ")


def test_null_dereference_is_explained(framework_tests, tmp_path):
    expect(framework_tests, "crash_null_dereference", tmp_path, v.EXCEPTION, "page fault",
           "NULL pointer", "writing to", "ktest_fn_crash_null_dereference")


def test_call_past_a_table_names_the_text(framework_tests, tmp_path):
    """A function pointer read past a table's end is the text after it: the
    verdict says so (QEMU reports the jump's target as RIP)."""
    expect(framework_tests, "crash_call_past_table_end", tmp_path, v.EXCEPTION,
           "general protection fault", 'jumped to the text "breakpoi"',
           "past the end of a table?", "not a canonical address")


def test_stack_overflow_hits_the_guard_page(framework_tests, tmp_path):
    expect(framework_tests, "crash_stack_overflow", tmp_path, v.EXCEPTION, "kernel stack overflow",
           "guard page", "crash_helper_recurse", "repeats")


def test_triple_fault_is_named(framework_tests, tmp_path):
    expect(framework_tests, "crash_triple_fault", tmp_path, v.TRIPLE_FAULT, "triple fault", "CPU state")


def test_hang_shows_registers_and_where(framework_tests, tmp_path):
    expect(framework_tests, "crash_hang", tmp_path, v.HANG, "stopped making progress", "RIP=",
           "crash_helper_spin")


def test_failed_assertion_is_a_test_failure(framework_tests, tmp_path):
    expect(framework_tests, "crash_test_failure", tmp_path, v.FAIL, "deliberately wrong arithmetic",
           "got 2", "expected 3", "test_crash.c:")


# Planted leaks: the leak check after the test names what leaked, how much
# and where it was allocated (kind: v.FAIL; the same on both platforms).
LEAKS = {
    "crash_leaked_memory": [
        "memory leak", "3 more frames and 1 more heap block",
        "1 page-table page from ktest_fn_crash_leaked_memory (framework/tests/test_crash.c:",
        "2 frames (1 block) from ktest_fn_crash_leaked_memory (framework/tests/test_crash.c:",
        "1 heap block (100 bytes) from ktest_fn_crash_leaked_memory (framework/tests/test_crash.c:"],
    "crash_leaked_after_baseline": [
        "memory leak", "1 more heap block", "1 heap block (200 bytes) from"],
    "crash_leaked_thread": [
        "memory leak", "1 more thread", "1 thread ('forgotten', dead) created by spawn "
        "(framework/tests/test_threads.c:", "never freed with thread_free"],
}


@pytest.mark.parametrize("test", sorted(LEAKS))
def test_leak_is_reported(framework_tests, test, tmp_path):
    expect(framework_tests, test, tmp_path, v.FAIL, *LEAKS[test])


def test_unknown_test_name(framework_tests, tmp_path):
    expect(framework_tests, "no_such_test_here", tmp_path, v.NOT_FOUND, "no_such_test_here")


def test_forged_frame_is_ignored(framework_tests, tmp_path):
    verdict, transcript, _ = framework_tests.run_ktest("crash_forged_pass", str(tmp_path))
    assert not verdict.passed and transcript.forged == 1, verdict.explain(transcript)


def test_undefined_behaviour_is_caught_in_checked_build(framework_tests_checked, tmp_path):
    expect(framework_tests_checked, "crash_undefined_behaviour", tmp_path, v.PANIC,
           "undefined behaviour: addition overflows type 'int'", "test_crash.c:")


def test_frame_double_free_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_frame_double_free", tmp_path, v.PANIC, "BUG CAUGHT BY KEEL",
           "double free of frame", "ktest_fn_crash_frame_double_free")


def test_frame_shared_misuse_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_frame_free_while_shared", tmp_path, v.PANIC,
           "BUG CAUGHT BY KEEL", "other owners still share", "ktest_fn_crash_frame_free_while_shared")
    expect(framework_tests, "crash_frame_unref_too_many", tmp_path, v.PANIC,
           "frame_unref", "the frame is free", "ktest_fn_crash_frame_unref_too_many")


def test_frame_free_with_wrong_order_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_frame_wrong_order", tmp_path, v.PANIC,
           "allocated as order 1 but freed as order 0")


def test_freeing_the_kernel_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_frame_free_kernel", tmp_path, v.PANIC, "never allocated",
           "kernel image")


def test_heap_overflow_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_heap_overflow", tmp_path, v.PANIC, "heap overflow",
           "24-byte block", "ktest_fn_crash_heap_overflow")


def test_heap_double_free_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_heap_double_free", tmp_path, v.PANIC, "double kfree")


def test_heap_use_after_free_is_caught_in_checked_build(framework_tests_checked, tmp_path):
    expect(framework_tests_checked, "crash_heap_use_after_free", tmp_path, v.PANIC,
           "written after it was freed", "ktest_fn_crash_heap_use_after_free")


def test_noncanonical_sysret_is_refused(framework_tests, tmp_path):
    expect(framework_tests, "crash_noncanonical_sysret", tmp_path, v.PANIC, "not canonical",
           "0x800000000000")


def test_freeing_a_thread_that_has_not_ended_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_thread_free_while_ready", tmp_path, v.PANIC,
           "thread_free of thread 'queued', which has not ended: it is ready",
           "ktest_fn_crash_thread_free_while_ready")


def test_unbalanced_irq_pop_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_unbalanced_pop_off", tmp_path, v.PANIC,
           "irq_pop_off without a matching irq_push_off")


def test_threads_switch_preempt_and_keep_fpu_state(framework_tests, tmp_path):
    for name in ("threads_take_turns", "preemption_stops_a_spinning_thread",
                 "fpu_state_survives_switches", "perturbation_preempts_where_a_tick_could"):
        verdict, transcript, _ = framework_tests.run_ktest(name, str(tmp_path / name), 3)
        assert verdict.passed, verdict.explain(transcript)


def test_sleeping_with_a_spinlock_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_sleep_holding_spinlock", tmp_path, v.PANIC, "may not sleep",
           "spin lock 'test lock'", "test_threads.c:", "ktest_fn_crash_sleep_holding_spinlock")


def test_everyone_asleep_under_perturbation_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_everyone_asleep_under_perturbation", tmp_path, v.PANIC,
           "every thread is asleep (1 of them)", "seed 7", "lost wakeup", "thread 'main'",
           "ktest_fn_crash_everyone_asleep_under_perturbation")


def test_spinlock_taken_twice_is_caught(framework_tests, tmp_path):
    expect(framework_tests, "crash_spinlock_taken_twice", tmp_path, v.PANIC, "taken twice")


def test_thread_stack_overflow_hits_its_guard_page(framework_tests, tmp_path):
    expect(framework_tests, "crash_thread_stack_overflow", tmp_path, v.EXCEPTION,
           "kernel stack overflow", "thread 'deep'")


def test_user_copies_and_smap(framework_tests, tmp_path):
    """copy_*_user refuse bad pointers; on a CPU with SMEP/SMAP (-cpu max) the
    kernel cannot touch user pages outside them."""
    from keelgrade.qemu_machine import QemuMachine
    from keelgrade.verdict import judge_test
    verdict, transcript, _ = framework_tests.run_ktest("user_copies_are_checked", str(tmp_path / "a"))
    assert verdict.passed, verdict.explain(transcript)
    tests = "needs_smep_smap,user_copies_are_checked,user_mode_round_trips"
    with QemuMachine(framework_tests.kernel.elf, f"keel.test={tests}", str(tmp_path / "b"),
                 extra_args=["-cpu", "max"]) as machine:
        machine.run_to_end(60)
        transcript = machine.transcript()
    for name in tests.split(","):
        verdict = judge_test(machine, transcript, name, set(tests.split(",")))
        assert verdict.passed, verdict.explain(transcript)


@pytest.mark.parametrize("platform", ["pc", "linux"])
def test_seeded_answers_are_checked_on_the_host(platform, tmp_path):
    """A host-checked test passes only with the answers the grader computes
    for its seed; wrong answers get WRONG ANSWER with the seed to rerun."""
    from keelgrade.seeded import SplitMix64

    def expect(seed):
        sequence = SplitMix64(seed)
        return [str(sequence.next()) for _ in range(4)] + [str(sequence.below(1000))]

    lab = Lab(ROOT, "framework-tests", solution=True, checked=False, platform=platform)
    lab.check_ktest("seeded_sequence_matches_the_grader", str(tmp_path / "right"), expect=expect)
    with pytest.raises(pytest.fail.Exception) as failure:
        lab.check_ktest("seeded_sequence_matches_the_grader", str(tmp_path / "wrong"),
                        expect=lambda seed: expect(seed + 1))
    text = str(failure.value)
    assert "[WRONG ANSWER]" in text and "answer 1 of 5" in text and "keel.seed=" in text, text
