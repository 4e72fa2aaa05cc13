"""Graders for lab 3 (traps): describing exceptions, breakpoints, the timer,
interrupt-driven serial input and system calls.

Most checks run inside the kernel (lab3-trap/tests/*.c). The last one types
into the lab 3 kernel's monitor, whose input arrives only through your serial
interrupt handler. Run with: make grade LAB=lab3-trap"""

import pytest

from keelgrade.table import KTest, in_kernel_tests

LAB = "lab3-trap"


IN_KERNEL = [
    KTest("describe_page_fault_write_not_present", 8, "page fault: write, not present, kernel"),
    KTest("describe_page_fault_user_fetch_protection", 6, "page fault: user fetch and read, protection"),
    KTest("describe_other_exceptions", 6, "other exceptions: name, vector, RIP, error code"),
    KTest("exceptions_from_real_faults", 8, "real faults reach exception_handler, reported"),
    KTest("breakpoints_are_counted_and_survived", 8, "int3 is counted and execution continues"),
    KTest("timer_ticks_at_100hz", 10, "timer ticks at 100 Hz (EOI sent)", 3.0),
    KTest("timer_ticks_at_1000hz", 4, "timer ticks at 1000 Hz", 3.0),
    KTest("uptime_follows_ticks", 6, "uptime_ms from the tick count", 3.0),
    KTest("masked_interrupts_wait", 8, "masked interrupts wait, unmasked ones arrive", 3.0),
    KTest("serial_interrupts_deliver_input", 10, "received bytes reach the console by interrupt", 3.0),
    KTest("syscall_passes_arguments_in_order", 10, "int $0x80 passes six arguments in order"),
    KTest("syscall_rejects_unknown_numbers", 6, "unknown system calls get -ENOSYS"),
    KTest("syscall_reaches_kernel_state", 4, "a system call reads kernel state"),
]


test_in_kernel = in_kernel_tests(IN_KERNEL)


@pytest.mark.points(6)
@pytest.mark.title("typing reaches the monitor through the serial interrupt")
def test_typing_by_interrupt(lab, tmp_path):
    with lab.start(str(tmp_path)) as machine:
        lab.expect_text(machine, "K> ", "after boot the lab 3 kernel should reach the monitor "
                        "prompt 'K> ' (with your timer and trap handlers installed)")
        mark = machine.mark()
        machine.send("help\r")
        lab.expect(machine, lambda: "backtrace" in machine.since(mark),
                   "typing 'help' and Enter should reach the monitor: the UART raises an "
                   "interrupt per received byte and your serial_interrupt_handler must pass "
                   "the bytes to console_inject_input")
