"""Recording a failed in-kernel test for make replay (PC kernels only).

When a test fails under make grade on the PC, the grader boots the same
kernel with the same command line once more under QEMU's deterministic
record mode (-icount shift=auto,rr=record): QEMU logs everything that is not
determined by the guest's instructions (clock reads, interrupts, serial
input), so the run can be replayed instruction for instruction, in gdb,
forwards and (tools/gdb/keel_replay.py) backwards.

Why a second run rather than recording every run: a passing test costs
nothing, and the recorded run needs no grader nonce, so nothing is typed
into it (QEMU 7.2 in record mode hands serial input to the UART without its
flow control, and bytes are lost). The recorded run is not graded; it is
judged only to say whether the failure happened again (a failure that
depends on timing may not). Hangs are not recorded: the second run would
cost the whole timeout again.

A recording lives beside its kernel, build/<lab>/<variant>/replays/<test>/:
kernel.elf (a copy: the build may change), programs.cpio when the lab has
one, replay.bin (QEMU's log), output.txt (what the recorded run printed),
qemu-args (the replay's command line, one argument a line), cmdline, and
for a run stopped at the timeout (a hang) `end`, its last instruction count."""
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile

from . import sandbox
from .monitor import hmp_command
from .qemu_machine import programs_archive_args, qemu_command

SETTING = "KEEL_RECORD"   # how many failed tests one grading process records (make grade: RECORD)
_made = 0                 # recordings this process made


def enabled():
    """Whether the next failed test is recorded: KEEL_RECORD=N allows N per
    grading process (a skeleton fails every test: recording them all would
    double its grading time; make replay records any other on demand)."""
    try:
        return _made < int(os.environ.get(SETTING, "0"))
    except ValueError:
        return False


# A recorded kernel's console goes to a file, not through the graders'
# bounded pipe: a student's kernel that prints without end must not fill the
# disk (QEMU is stopped at the limit; the recording keeps what came before).
RECORD_LIMITS = {resource.RLIMIT_FSIZE: 64 << 20, resource.RLIMIT_CORE: 0}


def directory_for(kernel_elf, test):
    return os.path.join(os.path.dirname(os.path.abspath(kernel_elf)), "replays", test)


def _machine(directory, cmdline, mode):
    """QEMU's command line to record or replay. The replay does not exit at
    the guest's reset or shutdown (a triple fault): it stops there, for gdb."""
    archive = programs_archive_args(os.path.join(directory, "kernel.elf"))
    return [*qemu_command(), *(["-no-shutdown"] if mode == "replay" else []),
            "-display", "none", "-nodefaults",
            "-serial", "file:output.txt" if mode == "record" else "null",
            "-kernel", "kernel.elf", "-append", cmdline,
            *(["-initrd", "programs.cpio"] if archive else []),
            "-icount", f"shift=auto,rr={mode},rrfile=replay.bin"]


def record(kernel_elf, cmdline, test, timeout):
    """Boot `kernel_elf` with `cmdline` under recording; return the
    recording's directory, or None if QEMU could not record it."""
    # Made apart and moved into place whole: a recording is either complete
    # or absent for make replay and the graders, even while another process
    # records the same test.
    final = directory_for(kernel_elf, test)
    os.makedirs(os.path.dirname(final), exist_ok=True)
    directory = tempfile.mkdtemp(prefix=f".{test}.", dir=os.path.dirname(final))
    try:
        return _record_into(directory, final, kernel_elf, cmdline, timeout)
    finally:  # whatever ends it (make replay's SIGTERM too: see main)
        shutil.rmtree(directory, ignore_errors=True)


def _record_into(directory, final, kernel_elf, cmdline, timeout):
    shutil.copy(kernel_elf, os.path.join(directory, "kernel.elf"))
    for archive in programs_archive_args(kernel_elf)[1:]:
        shutil.copy(archive, os.path.join(directory, "programs.cpio"))
    # A monitor (not part of the recording) says where a run that does not
    # end by itself (a hang) was stopped: the replay must stop there too.
    sockets = tempfile.mkdtemp(prefix="keel-record-")
    monitor = os.path.join(sockets, "monitor.sock")
    process = subprocess.Popen(sandbox.dies_with_parent(sandbox.limited(
        _machine(directory, cmdline, "record") +
        ["-monitor", f"unix:{monitor},server=on,wait=off"], RECORD_LIMITS)),
        cwd=directory, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        _note_end(directory, monitor)
        process.send_signal(signal.SIGTERM)  # QEMU closes the log properly
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    shutil.rmtree(sockets, ignore_errors=True)
    if not os.path.exists(os.path.join(directory, "replay.bin")):
        return None
    global _made
    _made += 1
    with open(os.path.join(directory, "qemu-args"), "w") as f:
        f.write("\n".join(_machine(directory, cmdline, "replay")) + "\n")
    with open(os.path.join(directory, "cmdline"), "w") as f:
        f.write(cmdline + "\n")
    shutil.rmtree(final, ignore_errors=True)
    try:
        os.rename(directory, final)
    except OSError:
        pass  # another recording of the test was moved in first: use it
    return final


def _note_end(directory, monitor):
    """Stop the recording run and write its instruction count to `end`."""
    try:
        hmp_command(monitor, "stop")
        found = re.search(r"instruction count = (\d+)", hmp_command(monitor, "info replay"))
    except OSError:
        return
    if found:
        with open(os.path.join(directory, "end"), "w") as f:
            f.write(found.group(1) + "\n")


def failed_again(directory, test):
    """Whether the recorded run failed too (its own console output)."""
    try:
        with open(os.path.join(directory, "output.txt"), errors="replace") as f:
            text = f.read()
    except OSError:
        return False
    return f"[test] {test}: PASS" not in text


def main(args):
    """make replay's on-demand recording: recording.py KERNEL TEST CMDLINE TIMEOUT."""
    kernel, test, cmdline, timeout = args
    for ending in (signal.SIGTERM, signal.SIGHUP):  # unwinds: record() cleans up
        signal.signal(ending, lambda number, _: sys.exit(128 + number))
    print(f"Recording {test} (keel command line: {cmdline})...", flush=True)
    directory = record(kernel, cmdline, test, float(timeout))
    if directory is None:
        print("QEMU could not record the run", file=sys.stderr)
        return 1
    if not failed_again(directory, test):
        print(f"({test} passed in this recording: there may be no failure to go back from.)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
