"""Graders for lab 1 (boot): the serial driver, the memory map and the monitor.

Most checks run inside the kernel (lab1-boot/tests/*.c): each boots its own
kernel with keel.test=NAME and reports what that test found. The last two
drive the monitor over the serial line the way you would, typing commands at
the K> prompt. Run with: make grade LAB=lab1-boot"""
import re

import pytest

from keelgrade.table import KTest, in_kernel_tests

LAB = "lab1-boot"


IN_KERNEL = [
    KTest("serial_init_programs_uart", 8, "serial_init programs the UART (8N1, divisor, FIFOs, IER, MCR)"),
    KTest("serial_init_divisor_for_fast_baud", 4, "serial_init at 115200 baud"),
    KTest("serial_putc_waits_for_transmitter", 8, "serial_putc waits for the transmitter"),
    KTest("serial_putc_translates_newline", 4, "serial_putc sends \\n as \\r\\n"),
    KTest("serial_getc_reads_received_bytes", 6, "serial_getc reads bytes, -1 when none"),
    KTest("serial_console_carries_kprintf", 8, "the serial console carries kprintf and input"),
    KTest("serial_reaches_the_wire", 6, "bytes from serial_putc reach the real serial line"),
    KTest("memmap_finds_map_among_other_tags", 8, "memmap_walk finds the map among other tags"),
    KTest("memmap_steps_by_entry_size", 6, "memmap_walk steps by entry_size"),
    KTest("memmap_total_counts_available_only", 5, "memmap_total_usable counts available memory"),
    KTest("memmap_matches_real_boot_information", 5, "the real memory map matches the framework's"),
    KTest("monitor_help_lists_commands", 4, "'help' lists the commands"),
    KTest("monitor_mem_shows_total", 4, "'mem' shows the total usable memory"),
    KTest("monitor_rejects_unknown_command", 3, "unknown commands are rejected"),
    KTest("monitor_readline_edits", 5, "the line editor: echo, backspace, long lines"),
    KTest("monitor_backtrace_names_callers", 8, "monitor_backtrace names the callers with file:line"),
]

PROMPT = "K> "
COMMANDS = ("help", "mem", "backtrace", "reboot")
# QEMU runs with -m 128M: the usable total must be most of that, never more.
USABLE_KIB = (100 * 1024, 128 * 1024)


test_in_kernel = in_kernel_tests(IN_KERNEL)


def boot_to_prompt(lab, machine):
    lab.expect_text(machine, PROMPT, f"after boot the monitor should print its prompt '{PROMPT}'")


def reply_to(machine, mark):
    """What the kernel printed after the command typed at `mark`: everything
    after the echoed command line, up to the next prompt (None until then)."""
    text = machine.since(mark)
    _, newline, rest = text.partition("\n")
    if not newline or PROMPT not in rest:
        return None
    return rest[: rest.rindex(PROMPT)]


def listed(reply, command):
    return reply is not None and re.search(rf"(^|\s){command}(\s|$)", reply) is not None


@pytest.mark.points(5)
@pytest.mark.title("the monitor answers help and mem typed over serial")
def test_monitor_over_serial(lab, tmp_path):
    with lab.start(str(tmp_path)) as machine:
        boot_to_prompt(lab, machine)
        mark = machine.mark()
        machine.send("help\r")
        lab.expect(machine, lambda: all(listed(reply_to(machine, mark), c) for c in COMMANDS),
                   "typing 'help' and Enter should list the commands "
                   f"{', '.join(COMMANDS)}, then print a new prompt '{PROMPT}' "
                   "(does the monitor read the serial line through your console?)")
        mark = machine.mark()
        machine.send("mem\r")
        lab.expect(machine, lambda: reply_to(machine, mark) is not None,
                   f"typing 'mem' and Enter should print the memory map, then a new prompt")
        reply = reply_to(machine, mark)
        found = re.search(r"Total usable memory:\s*(\d+)\s*KiB", reply)
        if not found:
            lab.fail_interaction(machine, "'mem' should end with the line 'Total usable memory: N "
                                 f"KiB (M MiB)'; it printed:\n{reply.strip() or '(nothing)'}\n")
        kib = int(found.group(1))
        if not USABLE_KIB[0] <= kib <= USABLE_KIB[1]:
            lab.fail_interaction(machine, f"'mem' reported {kib} KiB usable, but this machine has "
                                 f"128 MiB of RAM of which between {USABLE_KIB[0]} and "
                                 f"{USABLE_KIB[1]} KiB are usable (count only 'available' "
                                 "regions, in KiB)")


@pytest.mark.points(3)
@pytest.mark.title("'reboot' typed over serial resets the machine")
def test_monitor_reboot(lab, tmp_path):
    with lab.start(str(tmp_path)) as machine:
        boot_to_prompt(lab, machine)
        mark = machine.mark()
        machine.send("reboot\r")
        machine.run_to_end(lab.timeout())
        said = "Keel: rebooting" in machine.since(mark)
        if machine.ended != "reset" or not said:
            lab.fail_interaction(machine, "typing 'reboot' and Enter should reset the machine "
                                 "through kernel_reboot()")
