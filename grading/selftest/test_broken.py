"""Hidden-bug honesty: deliberately broken versions of the reference
solutions, each with one classic mistake, must be caught, by the graders'
tests or by the framework's checks, with a message that names the mistake."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade import perturb  # noqa: E402
from keelgrade.boot import boot  # noqa: E402
from keelgrade.verdict import WRONG_ANSWER, judge_answers, judge_test, ran_to_the_end  # noqa: E402

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
    "pt_tables_without_user_bit": (
        "lab2-mm", "pagetable.c", "#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITABLE | PTE_USER)",
        "#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITABLE)",
        "pt_user_pages_reach_ring_3", ["lacks PTE_USER", "user code could not reach it"]),
    "pt_index_not_masked": (
        "lab2-mm", "pagetable.c", "pte_t *entry = &table[pt_index(va, level)];",
        "pte_t *entry = &table[va >> (12 + 9 * (level - 1))];",
        "pt_map_then_translate", ["past the end of RAM", "indexing past the end of a table?"]),
    "pt_empty_check_skips_entry_0": (
        "lab2-mm", "pagetable.c", "for (unsigned i = 0; i < PT_ENTRIES; i++)",
        "for (unsigned i = 1; i < PT_ENTRIES; i++)",
        "pt_unmap_keeps_tables_still_in_use", ["still held a mapping", "index 0 included"]),
    "trap_wrong_error_decoding": (
        "lab3-trap", "exceptions.c", ": (e & PF_WRITE) ? \"write\"", ": (e & PF_PRESENT) ? \"write\"",
        "describe_page_fault_write_not_present", ["should contain \"write\""]),
    "breakpoint_rip_rewound": (
        # int3 leaves RIP after itself; going back one byte runs it again,
        # for ever, printing each time.
        "lab3-trap", "exceptions.c", "    breakpoints++;\n", "    breakpoints++;\n    frame->rip--;\n",
        "breakpoints_are_counted_and_survived",
        {"pc": ["kept printing without end", "'Breakpoint at RIP 0x", "over and over",
                "is in ktest_fn_breakpoints_are_counted_and_survived (lab3-trap/tests/"],
         "linux": ["kept printing without end", "'Breakpoint at RIP 0x", "over and over",
                   "is in ktest_fn_breakpoints_are_counted_and_survived (lab3-trap/tests/",
                   "Keel was stopped from outside"]}),
    "exception_report_without_prefix": (
        "lab3-trap", "exceptions.c", 'kprintf("Exception: %s\\n", line);', 'kprintf("%s\\n", line);',
        "exceptions_from_real_faults",
        # The name and vector once each (the message once said "(vector 6) (vector 6)").
        ["a real invalid opcode (vector 6) at RIP 0x", "should print \"Exception: invalid opcode "
         "(vector 6) at RIP 0x"]),
    "syscall_table_off_by_one": (
        "lab3-trap", "syscall.c", "number >= SYSCALL_COUNT", "number > SYSCALL_COUNT",
        "syscall_rejects_unknown_numbers",
        # The entry past the table's end is whatever the linker put after it:
        # on a PC, text (so the call jumps to a non-canonical address); on
        # Linux the bounds check of UBSan sees the index first.
        {"pc": [("the code jumped to the text", "indexing past the end of a table?")],
         "linux": ["index 4 is out of bounds", "indexing past the end of a table"]}),
    "timer_without_eoi": (
        "lab3-trap", "timer.c", "    ticks++;\n    interrupt_eoi();", "    ticks++;",
        "timer_ticks_at_100hz", ["interrupt_eoi"]),
    "serial_without_out2": (
        "lab3-trap", "timer.c",
        "    io_out8(base + UART_MODEM_CONTROL, (uint8_t)(io_in8(base + UART_MODEM_CONTROL) | MCR_OUT2));\n",
        "", "serial_interrupts_enable_sets_out2", ["left OUT2", "no serial interrupt ever arrives"]),
    "timer_counts_twice": (
        "lab3-trap", "timer.c", "    ticks++;\n    interrupt_eoi();", "    ticks += 2;\n    interrupt_eoi();",
        "timer_ticks_at_100hz", ["count each interrupt exactly once"]),
    "mutex_that_does_not_wait": (
        "lab4-sched", "sync.c", "    while (mutex->locked)\n        wait_sleep(&mutex->waiters, &mutex->lock);\n", "",
        "mutex_counts_exactly", ["does not hold the mutex"]),
    "rr_last_in_first_out": (
        "lab4-sched", "rr.c", "    struct thread *thread = head;\n    if (!thread)",
        "    struct thread *thread = tail;\n    if (thread) { tail = thread->prev; if (tail) tail->next = NULL; else head = NULL; thread->next = thread->prev = NULL; thread->sched_data[TICKS_USED] = 0; return thread; }\n    if (!thread)",
        "rr_runs_in_order", ["first in, first out"]),
    # The lost-wakeup window: the caller's lock released before the thread is
    # on the wait queue. A wakeup in the window finds nobody, and everyone
    # ends up asleep; a plain run almost never hits it, the perturbed runs
    # of the graders always do (keelgrade/perturb.py).
    "wait_sleep_lost_wakeup": (
        "lab4-sched", "sync.c",
        "    irq_push_off(); /* no wakeup may run between queueing and switching */\n"
        "    spin_lock(&queue->lock);\n",
        "    spin_unlock(lock); /* too early: the window opens here */\n"
        "    irq_push_off();\n"
        "    spin_lock(&queue->lock);\n",
        "wait_queue_no_lost_wakeups",
        ["Failed under schedule perturbation, seed", "lost wakeup", "asleep", "wait_sleep",
         "sync.c:"]),
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
    "write_without_copy_from_user": (
        # A PC with SMAP refuses the access; the Linux platform's kernel has
        # no user memory (it once read its own image there: garbage output).
        # writev's copy: printf writes through it.
        "lab5-user", "syscall.c",
        "            if (copy_from_user(chunk + filled, iov[0] + done, n) < 0)\n"
        "                return total ? (long)total : -EFAULT;",
        "            memcpy(chunk + filled, (const void *)(iov[0] + done), n);", "elf_runs_printf_program",
        ["the kernel used user address", "must go through copy_from_user"]),
    "segments_mapped_rwx": (
        # read() into the code then succeeds; it once waited for input until the timeout.
        "lab5-user", "elf.c",
        "            ((seg->flags & PF_W) ? PTE_WRITABLE : 0) | ((seg->flags & PF_X) ? 0 : PTE_NO_EXECUTE);",
        "            PTE_WRITABLE;", "bad_pointers_get_efault",
        ["the code segment is mapped writable", "PF_W"]),
    # Caught by the leak check after every test: what leaked, and where it
    # was allocated.
    "join_never_frees_the_thread": (
        "lab4-sched", "thread.c", "    kfree(join);\n    thread_free(thread);\n", "    kfree(join);\n",
        "threads_run_and_join",
        ["memory leak", "never freed with thread_free", "created by thread_create", "thread.c:"]),
    "join_keeps_the_join_state": (
        "lab4-sched", "thread.c", "    kfree(join);\n    thread_free(thread);\n",
        "    thread_free(thread);\n", "threads_run_and_join",
        ["memory leak", "more heap blocks", "heap blocks (", "bytes) from thread_create", "thread.c:"]),
    "execve_leaks_the_old_space": (
        "lab5-user", "process.c", "    free_tables(old, 4);\n", "    (void)old;\n",
        "execve_replaces_the_program",
        ["memory leak", "page-table page", "from pt_walk", "pagetable.c:", "elf.c:"]),
    "exit_status_not_encoded": (
        "lab5-user", "syscall.c", "process_exit((int)((a0 & 0xff) << 8));",
        "process_exit((int)(a0 & 0xff));", "elf_runs_printf_program", ["expected exit code 3"]),
    "elf_bounds_checks_removed": (
        "lab5-user", "elf.c",
        "        if (seg->filesz > seg->memsz || seg->offset > size || seg->filesz > size - seg->offset)\n"
        "            return -ENOEXEC;\n", "",
        "hostile_elf_files_are_refused", ["elf_load accepted a PT_LOAD segment whose p_offset is past the end",
                                          "Check every bound in elf_load"]),
}


from broken_lab1_boot_challenge import BROKEN as LAB1_CHALLENGE  # noqa: E402
from broken_lab2_mm_challenge import BROKEN as LAB2_CHALLENGE  # noqa: E402
BROKEN.update(LAB1_CHALLENGE)
BROKEN.update(LAB2_CHALLENGE)

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


# Second edits some variants need besides their main one: name: (text, broken text).
ALSO = {
    "wait_sleep_lost_wakeup": ("    spin_unlock(&queue->lock);\n    spin_unlock(lock);\n",
                               "    spin_unlock(&queue->lock);\n"),
}


def build_broken(name, tmp_path, platform="pc"):
    lab, filename, good, bad = (BROKEN[name] if name in BROKEN else WRONG_ANSWERS[name])[:4]
    sources = tmp_path / "solution"
    shutil.copytree(os.path.join(ROOT, lab, "solution"), sources)
    path = sources / filename
    text = path.read_text()
    for old, new in [(good, bad)] + ([ALSO[name]] if name in ALSO else []):
        assert old in text, f"{name}: the reference {filename} changed; update this variant"
        text = text.replace(old, new, 1)
    path.write_text(text)
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
    # A concurrency test is graded plainly, then under each perturbation
    # seed, and the first run that fails is reported: that one must name the
    # mistake, and every fixed seed must catch it (the fresh seed the grader
    # adds is a bonus).
    perturbed = grader_entry(BROKEN[name][0], test).perturb
    reported = None
    for seed in (None,) + perturb.FIXED_SEEDS if perturbed else (None,):
        cmdline = perturb.cmdline(f"keel.test={test}", seed)
        machine = boot(kernel, cmdline, str(tmp_path / f"run-{seed}"), timeout=60)
        transcript = machine.transcript()
        verdict = judge_test(machine, transcript, test)
        text = verdict.explain(transcript)
        if seed is not None:
            text = perturb.explain_failure(seed, text)
            assert not verdict.passed, f"{name} was not caught by {test} ({cmdline}):\n{text}"
        if not verdict.passed and reported is None:
            reported = text
    assert reported is not None, f"{name} was not caught by {test}:\n{text}"
    for word in words:  # a tuple: any one of its wordings
        wordings = word if isinstance(word, tuple) else (word,)
        assert any(w in reported for w in wordings), \
            f"{name}: the verdict does not say {' or '.join(map(repr, wordings))}:\n{reported}"
    repeated = re.search(r"(\([^()]{3,}\)|\b\w+(?: \w+){2,}\b)\s*\1", reported.splitlines()[0])
    assert not repeated, f"{name}: the verdict says {repeated.group(1)!r} twice in a row:\n{reported}"


FIXED_SEEDS = (0x5EED0001, 0x5EED0002, 0x5EED0003)


def grader_entry(lab, test):
    """The KTest row of `test` in the lab's grader table."""
    path = os.path.join(ROOT, "grading", f"test_{lab.replace('-', '_')}.py")
    spec = importlib.util.spec_from_file_location(f"grader_{lab.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {entry.name: entry for entry in module.IN_KERNEL}[test]


def expected_answers(lab, test):
    """The `expect` function of `test` in the lab's grader table."""
    return grader_entry(lab, test).expect


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
        if ran_to_the_end(ran):  # passed, or failed only by leaking after its answers
            assert verdict.kind == WRONG_ANSWER, \
                f"{name} was not caught as a wrong answer by {test}:\n{text}"
            assert f"seed {seed}" in text, text
            return
    pytest.fail(f"{name}: no run with seeds {FIXED_SEEDS} got as far as its answers")
