"""Broken variants of lab 3's challenge part (the sampling profiler), in the
formats of __init__.py: BROKEN, and WRONG_ANSWERS for mistakes only the
host-checked report sees."""

BROKEN = {
    # timer_handler never feeds the profiler.
    "profile_tick_not_called": (
        "lab3-trap", "timer.c", "    profile_tick(frame);\n    ticks++;", "    (void)frame;\n    ticks++;",
        "profile_samples_every_tick", ["must call profile_tick for every tick", "counted 0 samples"]),
    # The sample is where the handler runs, not where the tick interrupted.
    "profile_samples_the_handler": (
        "lab3-trap", "profile.c", "profile_record(frame->rip, frame->rbp,",
        "profile_record((uintptr_t)__builtin_return_address(0), frame->rbp,",
        "profile_finds_the_hot_function", ["the hottest function is", "frame->rip"]),
    # User mode read from the wrong bits: every tick looks like the kernel's.
    "profile_user_mode_misread": (
        "lab3-trap", "profile.c", "(frame->cs & 3) == 3);", "(frame->cs & 4) != 0);",
        "profile_counts_user_mode_apart", ["counted as 0 user and 15 kernel", "low two bits of cs"]),
    # A full table: the sample is neither stored nor counted.
    "profile_drops_uncounted": (
        "lab3-trap", "profile.c", "    else\n        stats.dropped++;\n", "",
        "profile_table_is_bounded", ["123 be counted as dropped", "0 dropped"]),
    # No bound at all: the table overflows into whatever follows it.
    "profile_table_unbounded": (
        "lab3-trap", "profile.c", "    else if (stats.kernel < PROFILE_MAX_SAMPLES)\n        walk(samples[stats.kernel++], rip, rbp);\n    else\n        stats.dropped++;\n",
        "    else\n        walk(samples[stats.kernel++], rip, rbp);\n",
        "profile_table_is_bounded",
        # On the PC, what follows the table decides: the test sees the count
        # wrong, or the store past the table reaches an unmapped page first.
        {"pc": [("123 be counted as dropped", "page fault (vector 14, error code 0x2) at profile_record")],
         "linux": ["AddressSanitizer: global-buffer-overflow", "profile_record"]}),
    # Only the RIP is kept: no callers.
    "profile_no_callers": (
        "lab3-trap", "profile.c", "    while (depth < PROFILE_MAX_DEPTH && rbp && rbp % 8 == 0) {",
        "    while (false) {", "profile_counts_callers",
        ["walking the frame pointers from frame->rbp"]),
    # A recursive function counted once per frame, not once per sample.
    "profile_inclusive_counts_every_frame": (
        "lab3-trap", "profile.c", "                count++;\n                break;\n",
        "                count++;\n", "profile_counts_callers",
        ["each counted once however often it recurses"]),
    # The report returns what fitted, not what it needed.
    "profile_report_returns_what_fitted": (
        "lab3-trap", "profile.c", "    return (int)used;", "    return (int)strlen(buf);",
        "profile_seeded_report", ["the length it needed"]),
}

# name: (lab, file, text in the reference, broken text, host-checked test)
WRONG_ANSWERS = {
    # Ties in the histogram by address, not by name.
    "profile_ties_by_address": (
        "lab3-trap", "profile.c", "    return strcmp(name_of(a), name_of(b)) < 0;",
        "    return a->start > b->start;", "profile_seeded_report"),
    # Shares of every sample (user ones included), not of the kernel's.
    "profile_share_of_all_ticks": (
        "lab3-trap", "profile.c", "entries[i].count * 1000 / stats.kernel;",
        "entries[i].count * 1000 / stats.ticks;", "profile_seeded_report"),
}
