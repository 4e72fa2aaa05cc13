"""Hidden-bug honesty: deliberately broken versions of the reference
solutions, each with one classic mistake, must be caught, by the graders'
tests or by the framework's checks, with a message that names the mistake."""
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade.boot import boot  # noqa: E402
from keelgrade.verdict import WRONG_ANSWER, judge_answers, judge_test  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name: (lab, file, text in the reference, broken text, test that must fail,
#        words the verdict must contain: a list, or one list per platform)
BROKEN = {
    "heap_overflow": (
        "lab4-sched", "thread.c", "kzalloc(sizeof(*join))", "kzalloc(sizeof(join))",
        "threads_run_and_join",
        # Which of the heap's checks sees the overflow first depends on the
        # bytes written (addresses, which move with each build's layout):
        # the guard after the block, or the header of the next one.
        {"pc": ["BUG CAUGHT BY KEEL", ("overwritten by the block before it",
                                       "wrote past the end of the 8-byte block")],
         "linux": ["AddressSanitizer: use-after-poison", "outside a kmalloc", "thread_create"]}),
    "buddy_double_handout": (
        "lab2-mm", "buddy.c", "    unlink_block(block, found);\n", "",
        "buddy_blocks_are_aligned_and_distinct", ["handed out frame", "twice"]),
    "buddy_no_coalescing": (
        "lab2-mm", "buddy.c", "    while (order < FRAME_MAX_ORDER) {",
        "    while (false && order < FRAME_MAX_ORDER) {",
        "buddy_coalesces_back_to_the_start", ["were not merged"]),
    "pt_forgotten_present_bit": (
        "lab2-mm", "pagetable.c", "    *entry = pte_make(pa, flags | PTE_PRESENT);",
        "    *entry = pte_make(pa, flags);",
        "pt_map_then_translate", ["did not install the mapping"]),
    "pt_missing_tlb_flush": (
        "lab2-mm", "pagetable.c",
        "    *entry = pte_make(pte_address(*entry), flags | PTE_PRESENT);\n    if (paging_current_root() == root)\n        tlb_flush_page(va);",
        "    *entry = pte_make(pte_address(*entry), flags | PTE_PRESENT);",
        "pt_protect_takes_effect_at_once", ["TLB"]),
    "pt_leaked_tables": (
        "lab2-mm", "pagetable.c", "        frame_free(this_table, 0);", "",
        "pt_unmap_frees_empty_tables", ["free the page tables"]),
    "trap_wrong_error_decoding": (
        "lab3-trap", "exceptions.c", ": (e & PF_WRITE) ? \"write\"", ": (e & PF_PRESENT) ? \"write\"",
        "describe_page_fault_write_not_present", ["should contain \"write\""]),
    "timer_without_eoi": (
        "lab3-trap", "timer.c", "    ticks++;\n    interrupt_eoi();", "    ticks++;",
        "timer_ticks_at_100hz", ["interrupt_eoi"]),
    "mutex_that_does_not_wait": (
        "lab4-sched", "sync.c", "    while (mutex->locked)\n        wait_sleep(&mutex->waiters, &mutex->lock);\n", "",
        "mutex_counts_exactly", ["does not hold the mutex"]),
    "rr_last_in_first_out": (
        "lab4-sched", "rr.c", "    struct thread *thread = head;\n    if (!thread)",
        "    struct thread *thread = tail;\n    if (thread) { tail = thread->prev; if (tail) tail->next = NULL; else head = NULL; thread->next = thread->prev = NULL; thread->sched_data[TICKS_USED] = 0; return thread; }\n    if (!thread)",
        "rr_runs_in_order", ["first in, first out"]),
    "mlfq_without_boost": (
        "lab4-sched", "mlfq.c", "    if (++ticks_since_boost >= MLFQ_BOOST_TICKS) {",
        "    if (++ticks_since_boost >= MLFQ_BOOST_TICKS && false) {",
        "mlfq_boost_prevents_starvation", ["boost every MLFQ_BOOST_TICKS"]),
    "fork_shares_memory": (
        "lab5-user", "process.c", "ok = vm_map(child->root, va, copy,",
        "frame_free(copy, 0);\n                    ok = vm_map(child->root, va, pte_address(e1),",
        "fork_and_wait",
        # The child frees the frames it shares with its parent. On Linux,
        # AddressSanitizer catches the kernel writing to one (wait4's status)
        # before the PC's frame checks see it freed twice.
        {"pc": ["double free of frame"],
         "linux": ["AddressSanitizer: use-after-poison", "copy_to_user", "process_wait_child"]}),
    "exit_status_not_encoded": (
        "lab5-user", "syscall.c", "process_exit((int)((a0 & 0xff) << 8));",
        "process_exit((int)(a0 & 0xff));", "elf_runs_printf_program", ["expected exit code 3"]),
}


CASES = [(name, platform) for name in sorted(BROKEN) for platform in ("pc", "linux")]


# Mistakes that pass every in-kernel check, which only a host-checked test
# sees: the kernel's answers differ from the grader's for the run's seed.
# name: (lab, file, text in the reference, broken text, host-checked test)
WRONG_ANSWERS = {
    "mlfq_quantum_one_tick_long": (
        "lab4-sched", "mlfq.c", "if (++current->sched_data[TICKS_USED] < quantum)",
        "if (++current->sched_data[TICKS_USED] <= quantum)", "mlfq_follows_a_seeded_schedule"),
    "wait4_ignores_the_pid": (
        "lab5-user", "process.c", "(pid != -1 && child->pid != pid))", "(pid != -1 && false))",
        "fork_children_return_seeded_results"),
    "exec_ignores_the_environment": (
        "lab5-user", "process.c", "    int result = build(path, argv, envp, &root,",
        "    int result = build(path, argv, envp ? NULL : NULL, &root,", "exec_passes_seeded_arguments"),
    "stack_pointer_off_by_8": (
        "lab5-user", "elf.c", "    sp = (sp - n * sizeof(uint64_t)) & ~15ul;",
        "    sp = ((sp - n * sizeof(uint64_t)) & ~15ul) - 8;", "exec_passes_seeded_arguments"),
}


def build_broken(name, tmp_path, platform="pc"):
    lab, filename, good, bad = (BROKEN[name] if name in BROKEN else WRONG_ANSWERS[name])[:4]
    sources = tmp_path / "solution"
    shutil.copytree(os.path.join(ROOT, lab, "solution"), sources)
    path = sources / filename
    text = path.read_text()
    assert good in text, f"{name}: the reference {filename} changed; update this variant"
    path.write_text(text.replace(good, bad, 1))
    subprocess.run(["make", "--no-print-directory", "-s", "kernel", f"LAB={lab}", "SOLUTION=1",
                    f"SOLUTION_DIR={sources}", f"VARIANT_TAG=broken-{name}",
                    f"PLATFORM={platform}"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    variant = "solution" + ("-linux" if platform == "linux" else "") + f"-broken-{name}"
    return os.path.join(ROOT, "build", lab, variant, "kernel.elf")


@pytest.mark.parametrize("name,platform", CASES)
def test_broken_implementation_is_caught(name, platform, tmp_path):
    _, _, _, _, test, words = BROKEN[name]
    if isinstance(words, dict):
        words = words[platform]
    kernel = build_broken(name, tmp_path, platform)
    machine = boot(kernel, f"keel.test={test}", str(tmp_path / "run"), timeout=60)
    transcript = machine.transcript()
    verdict = judge_test(machine, transcript, test)
    text = verdict.explain(transcript)
    assert not verdict.passed, f"{name} was not caught by {test}:\n{text}"
    for word in words:  # a tuple: any one of its wordings
        wordings = word if isinstance(word, tuple) else (word,)
        assert any(w in text for w in wordings), \
            f"{name}: the verdict does not say {' or '.join(map(repr, wordings))}:\n{text}"


FIXED_SEEDS = (0x5EED0001, 0x5EED0002, 0x5EED0003)


def expected_answers(lab, test):
    """The `expect` function of `test` in the lab's grader table."""
    path = os.path.join(ROOT, "grading", f"test_{lab.replace('-', '_')}.py")
    spec = importlib.util.spec_from_file_location(f"grader_{lab.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {entry.name: entry for entry in module.IN_KERNEL}[test].expect


@pytest.mark.parametrize("name,platform",
                         [(name, platform) for name in sorted(WRONG_ANSWERS)
                          for platform in ("pc", "linux")])
def test_broken_answers_are_caught(name, platform, tmp_path):
    """Every run of the broken variant fails, and one whose in-kernel checks
    pass is caught by its answers (WRONG ANSWER, naming the seed). Fixed
    seeds, so a failure here reproduces: for a few seeds some broken
    variants trip an in-kernel check first (still caught, but not by the
    answers), so up to three are tried."""
    lab, _, _, _, test = WRONG_ANSWERS[name]
    kernel = build_broken(name, tmp_path, platform)
    for seed in FIXED_SEEDS:
        machine = boot(kernel, f"keel.test={test} keel.seed={seed}", str(tmp_path / f"run-{seed}"),
                       timeout=60)
        transcript = machine.transcript()
        ran = judge_test(machine, transcript, test)
        verdict = judge_answers(ran, transcript, test, seed, expected_answers(lab, test)(seed))
        text = verdict.explain(transcript)
        assert not verdict.passed, f"{name} was not caught by {test} (seed {seed}):\n{text}"
        if ran.passed:
            assert verdict.kind == WRONG_ANSWER, \
                f"{name} was not caught as a wrong answer by {test}:\n{text}"
            assert f"seed {seed}" in text, text
            return
    pytest.fail(f"{name}: no run with seeds {FIXED_SEEDS} got as far as its answers")
