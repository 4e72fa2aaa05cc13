"""Lab 5 (user programs): deliberately broken versions of the reference solution
(see __init__.py for the shape of a row)."""

BROKEN = {
    # read() waits for the next byte for ever, even when the input has
    # ended: a program reading to the end of its input never ends.
    "read_waits_past_the_end_of_input": (
        "lab5-user", "syscall.c",
        "        if (console_input_ended())\n            return 0; /* end of file: no input can ever come */\n",
        "", "read_returns_input_then_end_of_file",
        ["it read all its input", "console_input_ended() is true",
         "read() must return 0 (end of file)"]),
    # read() does not wait: no byte there yet reads as the end of the input.
    "read_does_not_wait": (
        "lab5-user", "syscall.c",
        "    while ((c = console_getc()) < 0) {\n        if (console_input_ended())\n"
        "            return 0; /* end of file: no input can ever come */\n        thread_yield();\n    }\n",
        "    if ((c = console_getc()) < 0)\n        return 0;\n",
        "read_returns_input_then_end_of_file",
        ["it ended after reading the first part, while more input could still come",
         "read() must wait for the next byte"]),
    # Ended orphans are freed only when the table is full: forks keep
    # working, but the orphans' entries linger after everything ended.
    "orphans_reaped_only_when_the_table_is_full": (
        "lab5-user", "process.c", "    spin_lock(&table_lock);\n    reap_orphans();\n    struct process *process = NULL;\n",
        "    spin_lock(&table_lock);\n    struct process *process = NULL;\n"
        "    for (int i = 0; i < PROCESS_MAX && !process; i++)\n"
        "        if (table[i].state == PROCESS_FREE)\n"
        "            process = &table[i];\n"
        "    if (!process)\n        reap_orphans();\n    process = NULL;\n",
        "orphans_are_reaped",
        ["processes are still in the table", "'orphanage' (zombie, orphan)",
         "An orphan that has ended must be freed"]),
    # What a process_wait built on a thread_join that quietly says -EINVAL
    # does (as lab 4's join did for a thread_new thread): it returns 0 at
    # once, and the program runs after the test stopped listening.
    "wait_returns_at_once": (
        "lab5-user", "process.c",
        "    spin_lock(&table_lock);\n    while (process->state != PROCESS_ZOMBIE || process->thread->state != THREAD_DEAD) {",
        "    if (process)\n        return 0;\n    spin_lock(&table_lock);\n    while (process->state != PROCESS_ZOMBIE || process->thread->state != THREAD_DEAD) {",
        "elf_runs_printf_program",
        ["The program printed nothing and process_wait returned 0",
         "thread_join cannot wait for a thread made by thread_new"]),
    # Orphans (their parent exited first) are never freed: their zombies
    # fill the process table.
    "orphans_never_reaped": (
        "lab5-user", "process.c", "        if (table[i].orphan && table[i].state == PROCESS_ZOMBIE &&",
        "        if (false && table[i].orphan && table[i].state == PROCESS_ZOMBIE &&",
        "orphans_are_reaped",
        ["orphanage: fork failed once the table held the orphans", "must free its entry when it ends",
         "orphanage: round "]),
    # process_wait waits with lab 4's thread_join, but a process's thread
    # comes from thread_new: nothing records its end (it once returned
    # -EINVAL quietly and every process "ended" with status 0).
    "wait_joins_the_thread": (
        "lab5-user", "process.c",
        "    spin_lock(&table_lock);\n    while (process->state != PROCESS_ZOMBIE || process->thread->state != THREAD_DEAD) {",
        "    thread_join(process->thread);\n    spin_lock(&table_lock);\n    while (false) {",
        "elf_runs_printf_program",
        ["thread_join(thread 'hello')", "not made by thread_create", "cannot be joined",
         "process_wait (", "process.c:"]),
    "fork_shares_memory": (
        # fork shares the frames without counting the child as an owner: the
        # child's exit frees the frames its parent still maps. On Linux,
        # AddressSanitizer catches the kernel writing to one (wait4's status)
        # before the PC's frame checks see it unref'd once too often.
        "lab5-user", "process.c", "    frame_ref(frame);\n    return 0;", "    return 0;",
        "fork_and_wait",
        {"pc": ["frame_unref", "the frame is free"],
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

WRONG_ANSWERS = {
    # read() at the end of the input fails instead of saying end of file:
    # readall ends, but says read returned -1.
    "read_fails_at_the_end_of_input": (
        "lab5-user", "syscall.c", "            return 0; /* end of file: no input can ever come */",
        "            return -EIO;", "read_returns_input_then_end_of_file"),
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

# Second edits some variants need besides their main one: name: (text, broken text), or a list.
ALSO = {
    # The check before the pointer's goes too (or fails the same way).
    "read_waits_past_the_end_of_input": (
        "    if (console_input_ended())\n        return 0; /* at the end, Linux returns 0 without looking at the buffer */\n",
        ""),
    "read_fails_at_the_end_of_input": (
        "        return 0; /* at the end, Linux returns 0 without looking at the buffer */",
        "        return -EIO;"),
    "orphans_reaped_only_when_the_table_is_full": [
        ("    reap_orphans();\n    self->wait_status = wait_status;\n",
         "    self->wait_status = wait_status;\n"),
        ("    spin_lock(&table_lock);\n    reap_orphans();\n    for (;;) {\n",
         "    spin_lock(&table_lock);\n    for (;;) {\n"),
    ],
}
