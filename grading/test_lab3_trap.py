"""Graders for lab 3 (traps): describing exceptions, breakpoints, the timer,
interrupt-driven serial input and system calls.

Most checks run inside the kernel (lab3-trap/tests/*.c); those with `seeded`
in their name are host-checked: they get a fresh random seed per run and their
answers must match what the functions below compute for it. The last one types
into the lab 3 kernel's monitor, whose input arrives only through your serial
interrupt handler. Run with: make grade LAB=lab3-trap"""

import pytest

from keelgrade.seeded import SplitMix64
from keelgrade.table import KTest, in_kernel_tests

LAB = "lab3-trap"


# ---- Host-checked tests ------------------------------------------------------
# Each function below draws the same numbers from the run's seed as its
# in-kernel test (lab3-trap/tests/), in the same order, and returns the answer
# lines a correct lab 3 gives, from what lab3.h specifies.

PAGE_FAULT = 14
OTHER_EXCEPTIONS = (0, 6, 8, 10, 11, 12, 13, 17)  # the kernel test's `others`


def describe_seeded_exceptions(seed):
    """exception_describe's line in lab3.h's format after the exception's name:
    " (vector N) at RIP 0x<16 hex digits>, error code 0x<hex>", and for a page
    fault "; address 0x<hex>: <access>, <cause>, <mode> mode" decoded from
    error-code bits 1 and 4 (access), 0 (cause) and 2 (mode)."""
    random, lines = SplitMix64(seed), []
    for number in range(1, 25):
        if random.below(3) == 0:
            vector = OTHER_EXCEPTIONS[random.below(len(OTHER_EXCEPTIONS))]
            error = random.below(0x10000) if 10 <= vector <= 13 else 0  # a selector, or none
        else:
            vector = PAGE_FAULT
            error = random.below(2)
            error |= (0, 0x2, 0x10)[random.below(3)]
            error |= random.below(2) << 2
            if error & 1:
                error |= random.below(2) << 3
        rip, address = random.next(), random.next()
        line = f"case {number}: <name> (vector {vector}) at RIP 0x{rip:016x}, error code {error:#x}"
        if vector == PAGE_FAULT:
            access = ("instruction fetch" if error & 0x10 else "write" if error & 0x2 else "read")
            cause = "protection violation" if error & 1 else "page not present"
            mode = "user" if error & 4 else "kernel"
            line += f"; address {address:#x}: {access}, {cause}, {mode} mode"
        lines.append(line)
    return lines


def serial_interrupts_deliver_seeded_bytes(seed):
    """Every byte the UART receives reaches console_getc, in order, through
    the serial interrupt handler, however many arrive together."""
    random, lines = SplitMix64(seed), []
    for burst in range(1, 5):
        sent = [random.below(256) for _ in range(1 + random.below(12))]
        lines.append(f"burst {burst}: {len(sent)} of {len(sent)} bytes arrived: "
                     + " ".join(map(str, sent)))
    return lines


SYSCALL_COUNT = 4
ENOSYS = 38


def syscall_seeded_calls(seed):
    """syscall_dispatch calls syscall_table[RAX] with RDI, RSI, RDX, R10, R8,
    R9 in that order and returns its result in RAX; unknown numbers (negative
    or past the table) get -ENOSYS. The system calls are syscall_table.c's:
    weighted sum a0*1 + ... + a5*6, negation, the breakpoint count (here
    counted from the start of the test), the tick count."""
    random, lines, breakpoints = SplitMix64(seed), [], 0

    def argument():
        return random.below(1 << 41) - (1 << 40)

    for call in range(1, 33):
        kind = random.below(12)
        if kind < 5:
            a = [argument() for _ in range(6)]
            total = sum(value * (i + 1) for i, value in enumerate(a))
            lines.append(f"call {call}: SYS_WEIGHTED_SUM({', '.join(map(str, a))}) = {total}")
        elif kind < 7:
            a0 = argument()
            random.next()  # junk in the unused argument registers
            lines.append(f"call {call}: SYS_NEGATE({a0}) = {-a0}")
        elif kind < 8:
            breakpoints += random.below(4)  # int3 executed before the call
            lines.append(f"call {call}: SYS_BREAKPOINTS = the count at the start + {breakpoints}")
        elif kind < 11:
            which = random.below(3)
            if which == 0:
                number = SYSCALL_COUNT + random.below(4)
            elif which == 1:
                number = SYSCALL_COUNT + random.below(1 << 31)
            else:
                number = -1 - random.below(1000)
            lines.append(f"call {call}: system call {number} = {-ENOSYS}")
        else:
            lines.append(f"call {call}: SYS_TICKS = timer_ticks()")
    return lines


PROFILE_TARGETS = [f"profile_target_{letter}" for letter in "abcdef"]


def profile_seeded_report(seed):
    """profile_report (lab3.h) for seeded samples: counts per target function
    (some tied, some zero), user-mode samples (counted apart) and samples in no
    function ("?"); the histogram is hottest first, ties by name; shares are
    of the kernel samples, in tenths of a percent rounded down; what is past
    `top` goes in one last line. The order the samples come in (also seeded)
    changes nothing."""
    random = SplitMix64(seed)
    counts = [random.below(6) for _ in PROFILE_TARGETS]
    user, unknown = 1 + random.below(7), random.below(4)
    top = 3 + random.below(4)
    entries = [(name, count) for name, count in zip(PROFILE_TARGETS, counts) if count]
    entries += [("?", unknown)] if unknown else []
    entries.sort(key=lambda entry: (-entry[1], entry[0]))
    kernel = sum(counts) + unknown
    lines = [f"top {top}",
             f"report: profile: {kernel + user} samples: {kernel} kernel, {user} user, 0 dropped"]
    for name, count in entries[:top]:
        permille = count * 1000 // kernel
        lines.append(f"report: {count:6d} {permille // 10:3d}.{permille % 10}% {name}")
    if len(entries) > top:
        rest = sum(count for _, count in entries[top:])
        lines.append(f"report: {rest:6d} in {len(entries) - top} more functions")
    return lines


IN_KERNEL = [
    KTest("describe_page_fault_write_not_present", 5, "page fault: write, not present, kernel"),
    KTest("describe_page_fault_user_fetch_protection", 5, "page fault: user fetch and read, protection"),
    KTest("describe_other_exceptions", 5, "other exceptions: name, vector, RIP, error code"),
    KTest("describe_seeded_exceptions", 7, "random exceptions and page-fault error codes, described",
          expect=describe_seeded_exceptions),
    KTest("exceptions_from_real_faults", 7, "real faults reach exception_handler, reported"),
    KTest("breakpoints_are_counted_and_survived", 7, "int3 is counted and execution continues"),
    KTest("timer_ticks_at_100hz", 8, "timer ticks at 100 Hz (EOI sent)", 3.0),
    KTest("timer_ticks_at_1000hz", 4, "timer ticks at 1000 Hz", 3.0),
    KTest("uptime_follows_ticks", 5, "uptime_ms from the tick count", 3.0),
    KTest("masked_interrupts_wait", 6, "masked interrupts wait, unmasked ones arrive", 3.0),
    KTest("serial_interrupts_deliver_input", 5, "received bytes reach the console by interrupt", 3.0),
    KTest("serial_interrupts_enable_sets_out2", 4, "serial_interrupts_enable sets OUT2 and IER bit 0"),
    KTest("serial_interrupts_deliver_seeded_bytes", 6, "bursts of random bytes, all delivered in order",
          3.0, expect=serial_interrupts_deliver_seeded_bytes),
    KTest("syscall_passes_arguments_in_order", 6, "int $0x80 passes six arguments in order"),
    KTest("syscall_rejects_unknown_numbers", 4, "unknown system calls get -ENOSYS"),
    KTest("syscall_reaches_kernel_state", 3, "a system call reads kernel state"),
    KTest("syscall_seeded_calls", 7, "random system calls and arguments: every result",
          expect=syscall_seeded_calls),
]

# The challenge part (profile.c): a sampling profiler fed by timer_handler.
CHALLENGE = [
    KTest("profile_samples_every_tick", 5,
          "every timer tick is one sample: as many as the interrupts delivered", 3.0,
          part="challenge"),
    KTest("profile_finds_the_hot_function", 5, "a busy loop is the hottest function", 3.0,
          part="challenge"),
    KTest("profile_counts_callers", 6,
          "callers from the frame pointers: inclusive counts, recursion once", 3.0,
          part="challenge"),
    KTest("profile_counts_user_mode_apart", 4,
          "user-mode ticks counted apart; nothing before start or after stop",
          part="challenge"),
    KTest("profile_table_is_bounded", 4, "a full sample table drops and counts, never overflows",
          part="challenge"),
    KTest("profile_seeded_report", 6, "seeded samples: the report, line by line",
          expect=profile_seeded_report, part="challenge"),
]

assert sum(test.points for test in CHALLENGE) == 30

IN_KERNEL += CHALLENGE

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
