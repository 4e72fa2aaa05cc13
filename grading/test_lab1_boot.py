"""Graders for lab 1 (boot): the serial driver, the memory map and the monitor.

Most checks run inside the kernel (lab1-boot/tests/*.c): each boots its own
kernel with keel.test=NAME and reports what that test found. Those with
`seeded` in their name are host-checked: they get a fresh random seed per run
and their answers must match what the functions below compute for it. The
last two drive the monitor over the serial line the way you would, typing
commands at the K> prompt. Run with: make grade LAB=lab1-boot"""
import re

import pytest

from keelgrade.seeded import SplitMix64
from keelgrade.table import KTest, in_kernel_tests

LAB = "lab1-boot"


# ---- Host-checked tests ------------------------------------------------------
# Each function below draws the same numbers from the run's seed as its
# in-kernel test (lab1-boot/tests/), in the same order, and returns the answer
# lines a correct lab 1 gives. They model only what lab1.h specifies.


def _value_lines(what, values):
    """Values in lines of 16, as the kernel's answer_values reports them."""
    return [f"{what} {first + 1}-{min(first + 16, len(values))}: "
            + " ".join(str(v) for v in values[first:first + 16])
            for first in range(0, len(values), 16)]


def serial_moves_seeded_bytes(seed):
    """serial_getc returns each received byte as 0-255, then -1 (twice) once
    none is left; serial_putc sends every byte as is, except '\\n' as
    '\\r\\n'."""
    random = SplitMix64(seed)
    received = [1 + random.below(255) for _ in range(16 + random.below(33))]
    sent = []
    for _ in range(8 + random.below(41)):
        byte = 10 if random.below(8) == 0 else 1 + random.below(255)
        random.below(3)  # how long the pretend transmitter stays busy
        sent += [13, 10] if byte == 10 else [byte]
    return (_value_lines("getc", received + [-1, -1]) + [f"putc sent {len(sent)} bytes"]
            + _value_lines("sent", sent))


def _other_tag(random):
    """The kernel's add_other_tag: nothing a walker reports, but two draws."""
    random.below(5)
    random.below(41)


def memmap_walks_seeded_maps(seed):
    """memmap_walk calls the callback once per entry of the memory-map tag, in
    order, whatever tags surround it and whatever its entry_size; it returns
    the count; memmap_total_usable adds up the lengths of type 1 entries."""
    random, lines = SplitMix64(seed), []
    for number in range(1, 4):
        for _ in range(random.below(4)):
            _other_tag(random)
        random.below(4)  # entry_size: 24, 32, 40 or 48 bytes
        entries = []
        for _ in range(1 + random.below(10)):
            base = random.next() & 0xffffffffffff
            length = 1 + random.below(1 << 36)
            kind = random.below(8)
            entries.append((base, length, 1 if kind < 4 else kind - 2))
        for _ in range(random.below(3)):
            _other_tag(random)
        for i, (base, length, kind) in enumerate(entries):
            lines.append(f"map {number} entry {i + 1}: base {base:#x} length {length:#x} "
                         f"type {kind}")
        usable = sum(length for _, length, kind in entries if kind == 1)
        lines.append(f"map {number}: memmap_walk returned {len(entries)}, the callback ran "
                     f"{len(entries)} times, memmap_total_usable {usable:#x}")
    return lines


READLINE_CONTROLS = (0x01, 0x02, 0x05, 0x06, 0x07, 0x09, 0x0b, 0x0c, 0x0e, 0x1b)


def monitor_readline_seeded_typing(seed):
    """monitor_readline keeps printable characters, drops the last one on
    backspace (0x08 or 0x7f; nothing on an empty line), ignores other control
    characters, stops at Enter, and keeps at most size - 1 characters. On an
    editing line the echo leaves the line itself on the screen (trailing
    spaces aside)."""
    random, lines = SplitMix64(seed), []
    for number in range(1, 7):
        line = []
        if random.below(3) != 0:  # an editing line, in a 64-byte buffer
            size = 64
            for _ in range(1 + random.below(30)):
                kind = random.below(20)
                if kind < 13:
                    line.append(chr(0x20 + random.below(95)))
                elif kind < 17:
                    random.below(2)  # 0x7f or 0x08: both are backspace
                    line[-1:] = []
                else:
                    random.below(len(READLINE_CONTROLS))  # ignored
            text = "".join(line)
            tail = f', the screen shows "{text.rstrip(" ")}"'
        else:  # more characters than the buffer holds
            size = 2 + random.below(11)
            typed = [chr(0x20 + random.below(95)) for _ in range(size + random.below(8))]
            text, tail = "".join(typed[:size - 1]), ""
        random.below(2)  # Enter as '\r' or '\n'
        lines.append(f'line {number} (size {size}): length {len(text)} "{text}"{tail}')
    return lines


IN_KERNEL = [
    KTest("serial_init_programs_uart", 7, "serial_init programs the UART (8N1, divisor, FIFOs, IER, MCR)"),
    KTest("serial_init_divisor_for_fast_baud", 4, "serial_init at 115200 baud"),
    KTest("serial_putc_waits_for_transmitter", 6, "serial_putc waits for the transmitter"),
    KTest("serial_putc_translates_newline", 4, "serial_putc sends \\n as \\r\\n"),
    KTest("serial_getc_reads_received_bytes", 4, "serial_getc reads bytes, -1 when none"),
    KTest("serial_console_carries_kprintf", 7, "the serial console carries kprintf and input"),
    KTest("serial_reaches_the_wire", 5, "bytes from serial_putc reach the real serial line"),
    KTest("serial_moves_seeded_bytes", 6, "random bytes in through serial_getc, out through serial_putc",
          expect=serial_moves_seeded_bytes),
    KTest("memmap_finds_map_among_other_tags", 6, "memmap_walk finds the map among other tags"),
    KTest("memmap_steps_by_entry_size", 4, "memmap_walk steps by entry_size"),
    KTest("memmap_total_counts_available_only", 4, "memmap_total_usable counts available memory"),
    KTest("memmap_matches_real_boot_information", 4, "the real memory map matches the framework's"),
    KTest("memmap_walks_seeded_maps", 6, "random memory maps among random tags: entries and totals",
          expect=memmap_walks_seeded_maps),
    KTest("monitor_help_lists_commands", 3, "'help' lists the commands"),
    KTest("monitor_mem_shows_total", 4, "'mem' shows the total usable memory"),
    KTest("monitor_rejects_unknown_command", 3, "unknown commands are rejected"),
    KTest("monitor_readline_edits", 3, "the line editor: echo, backspace, long lines"),
    KTest("monitor_readline_seeded_typing", 6, "the line editor on random typing: lines and echo",
          expect=monitor_readline_seeded_typing),
    KTest("monitor_backtrace_names_callers", 6, "monitor_backtrace names the callers with file:line"),
    # The challenge part (README.md, "Challenge part"): single-stepping with the trap flag.
    KTest("trace_counts_a_loop", 8, "trace_call records every instruction of a loop",
          part="challenge"),
    KTest("trace_follows_calls", 8, "trace_call follows calls and stops at the ret",
          part="challenge"),
    KTest("trace_counts_beyond_what_it_records", 6, "trace_call counts beyond the 256 it records",
          part="challenge"),
    KTest("trace_restores_the_machine", 6, "trace_call restores TF, the handler, interrupts; -EBUSY",
          part="challenge"),
    KTest("monitor_trace_command", 8, "the monitor's trace command, line by line", part="challenge"),
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
                   "typing 'mem' and Enter should print the memory map, then a new prompt")
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
