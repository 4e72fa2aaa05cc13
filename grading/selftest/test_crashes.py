"""Issue 11's kernel crashes and leaks, as regression tests on both
platforms: static musl programs (crash_programs/*.c) and hand-made ELF files
run on the complete kernel, each exiting 0 when the kernel behaved as Linux
does. Each one failed on the kernel before its fix (the programs say how)."""
import os
import signal
import struct
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade.lab import Lab  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crash_programs")
NON_CANONICAL = 0x0000800000000000
KERNEL_HALF = 0xFFFFFFFF80000000
TIMEOUT = 90  # seconds; each program takes a few

# A system call as the last instruction of the last page below 2^47.
LAST_PAGE_SOURCE = """
    .globl _start
_start:
    mov $39, %eax
    .fill 4096 - 5 - 2, 1, 0x90
    syscall
"""


@pytest.fixture(scope="module")
def binaries(tmp_path_factory):
    """Every crash program, built with musl-gcc -static, and the ELF files
    the loader must refuse."""
    out = tmp_path_factory.mktemp("crash_programs")
    built = {}
    for source in sorted(os.listdir(PROGRAMS)):
        name = source[:-2]
        built[name] = out / name
        subprocess.run(["musl-gcc", "-static", "-O1", "-Wall", "-Wextra", "-Werror", "-o",
                        str(built[name]), os.path.join(PROGRAMS, source)], check=True)
    image = bytearray(built["topbuf"].read_bytes())
    for name, entry in (("badentry", NON_CANONICAL), ("kernelentry", KERNEL_HALF)):
        image[24:32] = struct.pack("<Q", entry)  # e_entry
        built[name] = out / name
        built[name].write_bytes(bytes(image))
    (out / "lastpage.S").write_text(LAST_PAGE_SOURCE)
    built["lastpage"] = out / "lastpage"
    subprocess.run(["gcc", "-nostdlib", "-static", "-no-pie", "-Wl,-N", "-Wl,--build-id=none",
                    "-Wl,--no-warn-rwx-segments", "-Wl,-Ttext=0x7ffffffff000", "-o",
                    str(built["lastpage"]), str(out / "lastpage.S")], check=True)
    return built


@pytest.fixture(scope="module", params=["pc", "linux"])
def kernel_dir(request):
    """The complete kernel's build directory on each platform."""
    lab = Lab(ROOT, "complete", solution=True, checked=False, platform=request.param)
    return os.path.dirname(lab.kernel.elf)


def run(kernel_dir, tmp_path, program, *args, extra=()):
    """Run `program` as the complete kernel's first process (tools/run-program),
    with the files `extra` added to its boot archive."""
    kernel = tmp_path / os.path.basename(kernel_dir)  # its name says the platform
    (kernel / "programs").mkdir(parents=True)
    (kernel / "kernel.elf").symlink_to(os.path.join(kernel_dir, "kernel.elf"))
    for name in os.listdir(os.path.join(kernel_dir, "programs")):
        (kernel / "programs" / name).symlink_to(os.path.join(kernel_dir, "programs", name))
    for path in extra:
        (kernel / "programs" / os.path.basename(path)).symlink_to(path)
    # Its own process group: on a timeout the emulator goes with the script.
    process = subprocess.Popen([os.path.join(ROOT, "tools/run-program"), str(kernel),
                                str(program), *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return None, f"{program.name} did not finish in {TIMEOUT} s (a call blocked?):\n{output}"
    return process.returncode, output


def test_user_ranges_ending_at_the_top_get_efault(kernel_dir, binaries, tmp_path):
    status, output = run(kernel_dir, tmp_path, binaries["topbuf"])
    assert status == 0 and "every call gave EFAULT" in output, output


@pytest.mark.parametrize("name", ["badentry", "kernelentry", "lastpage"])
def test_unloadable_program_is_killed_with_sigsegv(kernel_dir, binaries, tmp_path, name):
    """As the first process and through execve: SIGSEGV, as on Linux."""
    status, output = run(kernel_dir, tmp_path / "first", binaries[name])
    assert status == 128 + 11 and "killed by signal 11" in output, output
    status, output = run(kernel_dir, tmp_path / "exec", binaries["execbad"], name,
                         extra=[binaries[name]])
    assert status == 0 and f"{name}: signal 11" in output, output


def test_orphans_are_reaped(kernel_dir, binaries, tmp_path):
    status, output = run(kernel_dir, tmp_path, binaries["orphans"])
    assert status == 0 and "orphans: 64 rounds" in output, output


def test_failed_brk_gives_its_memory_back(kernel_dir, binaries, tmp_path):
    status, output = run(kernel_dir, tmp_path, binaries["brkfail"])
    assert status == 0 and "memory intact" in output, output


def test_fork_exit_wait_loses_no_memory(kernel_dir, binaries, tmp_path):
    status, output = run(kernel_dir, tmp_path, binaries["forkleak"])
    assert status == 0 and "no memory lost" in output, output
