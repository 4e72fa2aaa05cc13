"""Broken variants of lab 5's challenge part (copy-on-write fork, demand-zero
memory), in the BROKEN format of __init__.py."""

BROKEN = {
    "cow_shares_writable_pages": (
        # fork maps the parent's writable pages into the child still writable:
        # no fault ever comes, and each process's writes reach the other (the
        # shared stack soon sends one of them to a garbage return address).
        "lab5-user", "process.c",
        "        flags = (flags & ~PTE_WRITABLE) | PTE_COW;\n", "",
        "fork_shares_pages_until_written",
        ["resolved 0 copy-on-write", "shared read-only until written"]),
    "cow_makes_read_only_pages_writable": (
        # Every shared page becomes PTE_COW, so a write to the program's
        # constants is "copied" instead of killing the writer.
        "lab5-user", "process.c", "    if (flags & PTE_WRITABLE) {\n        flags = (flags",
        "    if (flags & PTE_USER) {\n        flags = (flags",
        "read_only_pages_stay_read_only_after_fork",
        ["the write went through", "never PTE_COW"]),
    "cow_copy_keeps_the_shared_frame": (
        # The writer takes its copy but never lets go of the shared frame:
        # the leak check after the test names the frames nobody freed (the
        # program's pages, allocated by elf_load).
        "lab5-user", "vm.c", "    frame_unref(shared);\n    return VM_FAULT_COW;", "    return VM_FAULT_COW;",
        "fork_shares_pages_until_written",
        ["memory leak", "Never freed", "frames", "elf.c:"]),
    "cow_out_of_memory_is_a_segfault": (
        # No frame for the copy, and the fault is reported as a bad access:
        # the child dies of SIGSEGV, not of the out-of-memory kill.
        "lab5-user", "vm.c", "    if (!copy)\n        return VM_FAULT_OOM;",
        "    if (!copy)\n        return VM_FAULT_BAD;",
        "out_of_memory_in_a_cow_fault_kills_only_the_child",
        ["VM_FAULT_OOM", "child status 0xb"]),
    "lazy_heap_without_its_end": (
        # Every address above the heap's start counts as heap.
        "lab5-user", "vm.c",
        "    if (page >= process->heap_start && page < KEEL_ALIGN_UP(process->heap_end, PAGE_SIZE))",
        "    if (page >= process->heap_start && page < USER_STACK_TOP - 64 * PAGE_SIZE)",
        "bad_accesses_beyond_lazy_memory_get_sigsegv",
        ["lazybad brk", "a page past the break", "VM_FAULT_BAD"]),
}
