"""Lab 3 (traps): deliberately broken versions of the reference solution
(see __init__.py for the shape of a row)."""

BROKEN = {
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
}
