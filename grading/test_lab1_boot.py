"""Graders for lab 1 (boot): the serial driver, the memory map and the monitor.

Most checks run inside the kernel (lab1-boot/tests/*.c); each boots its own
kernel with keel.test=NAME. The last two drive the monitor over the serial
line the way you would. Run with: make grade LAB=lab1-boot"""
import pytest

LAB = "lab1-boot"

# (in-kernel test, points, what it checks)
IN_KERNEL = [
    ("serial_init_programs_uart", 8, "serial_init programs the UART (8N1, divisor, FIFOs, IER, MCR)"),
    ("serial_init_divisor_for_fast_baud", 4, "serial_init at 115200 baud"),
    ("serial_putc_waits_for_transmitter", 8, "serial_putc waits for the transmitter"),
    ("serial_putc_translates_newline", 4, "serial_putc sends \\n as \\r\\n"),
    ("serial_getc_reads_received_bytes", 6, "serial_getc reads bytes, -1 when none"),
    ("serial_console_carries_kprintf", 8, "the serial console carries kprintf and input"),
    ("serial_reaches_the_wire", 6, "bytes from serial_putc reach the real serial line"),
    ("memmap_finds_map_among_other_tags", 8, "memmap_walk finds the map among other tags"),
    ("memmap_steps_by_entry_size", 6, "memmap_walk steps by entry_size"),
    ("memmap_total_counts_available_only", 5, "memmap_total_usable counts available memory"),
    ("memmap_matches_real_boot_information", 5, "the real memory map matches the framework's"),
    ("monitor_help_lists_commands", 4, "'help' lists the commands"),
    ("monitor_mem_shows_total", 4, "'mem' shows the total usable memory"),
    ("monitor_rejects_unknown_command", 3, "unknown commands are rejected"),
    ("monitor_readline_edits", 5, "the line editor: echo, backspace, long lines"),
    ("monitor_backtrace_names_callers", 8, "monitor_backtrace names the callers with file:line"),
]


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=[pytest.mark.points(points), pytest.mark.title(title)], id=name)
    for name, points, title in IN_KERNEL])
def test_in_kernel(lab, name, tmp_path):
    lab.check_ktest(name, str(tmp_path))


def _fail(machine, message):
    from keelgrade.verdict import judge_run
    transcript = machine.transcript()
    ended = judge_run(machine, transcript) if machine.process.poll() is not None else None
    if ended:
        why = f"\n\nWhat happened instead: {ended.message}\n{ended.details}"
    elif machine.process.poll() is not None:
        why = "\n\nWhat happened instead: the kernel powered off (lab_main returned)."
    else:
        why = ""
    pytest.fail(f"{message}{why}\n\nLast lines of serial output:\n{transcript.tail(30)}",
                pytrace=False)


def _boot_to_prompt(lab, machine):
    if not machine.wait_text("K> ", lab.timeout()):
        _fail(machine, "the monitor prompt 'K> ' never appeared after boot")


@pytest.mark.points(5)
@pytest.mark.title("the monitor answers help and mem typed over serial")
def test_monitor_over_serial(lab, tmp_path):
    timeout = lab.timeout()
    with lab.start(str(tmp_path)) as machine:
        _boot_to_prompt(lab, machine)
        mark = len(machine.transcript().text)
        machine.send("help\r")
        if not machine.wait_for(lambda t: all(c in t.text[mark:] for c in
                                              ("help", "mem", "backtrace", "reboot"))
                                and "K> " in t.text[mark + 4:], timeout):
            _fail(machine, "typing 'help' + Enter did not list help, mem, backtrace and reboot "
                  "followed by a new prompt (is serial input read through your console?)")
        mark = len(machine.transcript().text)
        machine.send("mem\r")
        if not machine.wait_text("Total usable memory:", timeout, after=mark):
            _fail(machine, "typing 'mem' + Enter did not print 'Total usable memory: ...'")


@pytest.mark.points(3)
@pytest.mark.title("'reboot' typed over serial resets the machine")
def test_monitor_reboot(lab, tmp_path):
    timeout = lab.timeout()
    with lab.start(str(tmp_path)) as machine:
        _boot_to_prompt(lab, machine)
        machine.send("reboot\r")
        machine.run_to_end(timeout)
        transcript = machine.transcript()
        if machine.timed_out or transcript.exit_status is not None or \
                "Keel: rebooting" not in transcript.text:
            _fail(machine, "typing 'reboot' did not reset the machine through kernel_reboot()")
