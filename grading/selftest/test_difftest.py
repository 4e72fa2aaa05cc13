"""Differential test: the complete kernel claims Linux's system-call ABI, and
Linux on this host is the oracle. Each program in difftest/ (static, musl)
runs natively here and on Keel (in QEMU and as a Linux process); both must
report the same result for every system call (the "#dt" lines that
difftest/difftest.h prints) and end with the same status. A difference that
is Keel's documented choice is in ALLOWED with its reason, and must still
differ: a stale entry fails too. The host's answers are those of Linux 5.18
or later (execve with an empty argv gets argv[0] = "", for one)."""
import glob
import os
import re
import struct
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade.lab import Lab  # noqa: E402
from keelgrade.qemu_machine import qemu_command  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "difftest")
PROGRAMS = sorted(os.path.basename(p)[:-2] for p in glob.glob(os.path.join(HERE, "*.c")))
# The files every program finds in its directory (the host: a fresh one as
# the working directory; Keel: the boot archive, its root directory).
# run.stdin: Keel's standard input in a keel.run run (labs/complete/files.c),
# empty as the host run's /dev/null; it is in both directories.
FILES = {"data.txt": b"0123456789abcdefghijklmnopqrstuvwxyz\n" * 3, "notelf": b"not an ELF program\n",
         "run.stdin": b""}
# What Keel gives a program it starts (process_spawn in lab5-user/solution/process.c).
ENVIRONMENT = {"PATH": "/", "HOME": "/"}
KEEL_SECONDS = 60  # one program's run on Keel, at most (each takes a few seconds)
MARK = re.compile(r"#dt (.*)$")
EXIT = re.compile(r"@@keel:run:EXIT:(\d+)")

# (program, the call as reported before " = ") -> why Keel differs from Linux
# there. Each entry must still differ on the platforms it names.
ALLOWED = {
    ("files", 'open("data.txt", O_WRONLY)'):
        "Keel's root directory is the read-only boot archive (EROFS); the host's is writable",
    ("files", 'open("data.txt", O_RDWR)'):
        "Keel's root directory is the read-only boot archive (EROFS); the host's is writable",
    ("limits", 'open("data.txt", O_RDONLY) 40 times: descriptors'):
        "Keel has fixed tables (labs/complete/descriptors.c): 32 open files for all processes, "
        "35 descriptors a process; Linux allows RLIMIT_NOFILE (1024 or more) per process",
    ("limits", "fork() 40 times without waiting: children"):
        "Keel's process table has 32 entries (PROCESS_MAX in lab5-user/lab5.h)",
    ("limits", "mmap(NULL, 256 MiB, RW, ANON, -1, 0)"):
        "Keel allocates every page when it is mapped, from 128 MiB of RAM; Linux allocates "
        "pages when first touched (overcommit)",
    ("limits", "mmap(NULL, 4096, RW, MAP_SHARED|MAP_ANONYMOUS, -1, 0)"):
        "Keel has no shared memory: it refuses MAP_SHARED (EINVAL) rather than give a private "
        "mapping that fork would silently unshare",
    ("limits", "arch_prctl(ARCH_GET_GS, &gs)"):
        "Keel keeps no GS base for user programs (its user mode switches FS only): ARCH_SET_GS "
        "and ARCH_GET_GS are EINVAL, as for an unknown code",
    ("limits", 'execve("limits", 3 arguments of 100000 bytes, NULL) in a child'):
        "Keel copies arguments and environment through a 256 KiB kernel buffer (MAX_ARG_TOTAL in "
        "lab5-user/solution/syscall.c) and says E2BIG beyond; Linux allows a quarter of the stack "
        "limit (2 MiB by default). Each string's limit, 128 KiB, is Linux's",
}
ALLOWED_PLATFORMS = {}  # entries that differ on one platform only: key -> {"pc"} or {"linux"}


def shift_first_segment(path, by=0x40):
    """Move the start of the PT_LOAD at file offset 0 `by` bytes in (offset,
    address, sizes): still congruent modulo the page size, no longer aligned."""
    with open(path, "r+b") as f:
        elf = bytearray(f.read())
        phoff, = struct.unpack_from("<Q", elf, 32)
        phentsize, phnum = struct.unpack_from("<HH", elf, 54)
        for i in range(phnum):
            at = phoff + i * phentsize
            kind, flags, offset, vaddr, paddr, filesz, memsz = struct.unpack_from("<IIQQQQQ", elf, at)
            if kind == 1 and offset == 0:
                struct.pack_into("<IIQQQQQ", elf, at, kind, flags, by, vaddr + by, paddr + by,
                                 filesz - by, memsz - by)
                break
        else:
            raise AssertionError(f"{path}: no PT_LOAD at offset 0")
        f.seek(0)
        f.write(elf)


# Programs that need their ELF file changed after linking.
POSTPROCESS = {"elfhead": shift_first_segment}


def parse(text):
    return [m.group(1) for m in map(MARK.search, text.splitlines()) if m]


@pytest.fixture(scope="module")
def binaries(tmp_path_factory):
    out = tmp_path_factory.mktemp("difftest-bin")
    built = {}
    for name in PROGRAMS:
        built[name] = str(out / name)
        subprocess.run(["musl-gcc", "-static", "-O1", "-Wall", "-Werror", "-o", built[name],
                        os.path.join(HERE, f"{name}.c")], check=True)
        if name in POSTPROCESS:
            POSTPROCESS[name](built[name])
    return built


def run_host(binary, name, workdir):
    os.makedirs(workdir)
    for file, data in FILES.items():
        with open(os.path.join(workdir, file), "wb") as f:
            f.write(data)
        os.chmod(os.path.join(workdir, file), 0o755)
    local = os.path.join(workdir, name)
    with open(binary, "rb") as src, open(local, "wb") as dst:
        dst.write(src.read())
    os.chmod(local, 0o755)
    run = subprocess.run([name], executable=local, cwd=workdir, stdin=subprocess.DEVNULL,
                         env=ENVIRONMENT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    status = run.returncode if run.returncode >= 0 else 128 - run.returncode
    return parse(run.stdout.decode(errors="replace")), status


def run_keel(kernel_elf, platform, binary, name, workdir):
    os.makedirs(workdir)
    entries = [f"{name}={binary}"]
    for file, data in FILES.items():
        with open(os.path.join(workdir, file), "wb") as f:
            f.write(data)
        entries.append(f"{file}={os.path.join(workdir, file)}")
    archive = os.path.join(workdir, "programs.cpio")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools/mkprograms.py"), archive, *entries],
                   check=True)
    cmdline = f"keel.run={name} keel.nonce=run"
    if platform == "linux":
        command = [kernel_elf, f"--initrd={archive}", cmdline]
    else:
        command = [*qemu_command(), "-display", "none", "-nodefaults", "-serial", "stdio",
                   "-kernel", kernel_elf, "-initrd", archive, "-append", cmdline]
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT) as run:
        try:
            out, _ = run.communicate(timeout=KEEL_SECONDS)
        except subprocess.TimeoutExpired:
            run.kill()
            out, _ = run.communicate()
    text = out.decode(errors="replace").replace("\r", "")
    found = EXIT.findall(text)
    if not found:
        lines = parse(text)
        last = f"after the report line\n  {lines[-1]}" if lines else "before its first report line"
        pytest.fail(f"{name} on Keel ({platform}) did not finish (exit code {run.returncode}, "
                    f"{KEEL_SECONDS} s at most): it stopped {last}\n(a call that should fail at "
                    f"once and waits instead?)\n{text[-3000:]}", pytrace=False)
    return parse(text), int(found[-1]), text


def call(line):
    return line.split(" = ", 1)[0]


@pytest.fixture(scope="module", params=["pc", "linux"])
def kernel(request):
    return request.param, Lab(ROOT, "complete", solution=True, checked=False,
                              platform=request.param).kernel.elf


def compare(name, platform, host, host_status, keel, keel_status, allowed_table=None):
    """Why Keel's run differs from Linux's (a message naming the first call
    that differs, or a stale allow-list entry), or None if they agree."""
    table = ALLOWED if allowed_table is None else allowed_table
    allowed = {call for (program, call) in table if program == name and
               platform in ALLOWED_PLATFORMS.get((program, call), {"pc", "linux"})}
    still_differ = set()
    for i, (want, got) in enumerate(zip(host, keel)):
        if want == got:
            continue
        if call(want) == call(got) and call(want) in allowed:
            still_differ.add(call(want))
            continue
        return (f"{name} on Keel ({platform}), report line {i + 1}: Linux says\n  {want}\n"
                f"but Keel says\n  {got}")
    if len(host) != len(keel):
        shorter, what = (keel, "Keel stopped") if len(keel) < len(host) else (host, "Linux stopped")
        return (f"{name} on Keel ({platform}): {what} after {len(shorter)} report lines; "
                f"the other went on with\n  {(host if shorter is keel else keel)[len(shorter)]}")
    if keel_status != host_status:
        return f"{name} on Keel ({platform}) ended with status {keel_status}, on Linux with {host_status}"
    stale = allowed - still_differ
    if stale:
        return (f"ALLOWED in test_difftest.py lists {sorted(stale)} for {name} on {platform}, "
                "but Keel now answers as Linux: remove the entry")
    return None


def run_both(kernel, binary, name, tmp_path):
    platform, kernel_elf = kernel
    host, host_status = run_host(binary, name, str(tmp_path / "host"))
    keel, keel_status, transcript = run_keel(kernel_elf, platform, binary, name,
                                             str(tmp_path / "keel"))
    assert host, f"{name} reported nothing on the host: is it a difftest program?"
    return host, host_status, keel, keel_status, transcript


@pytest.mark.parametrize("name", PROGRAMS)
def test_difftest(kernel, binaries, name, tmp_path):
    host, host_status, keel, keel_status, transcript = run_both(kernel, binaries[name], name,
                                                                tmp_path)
    problem = compare(name, kernel[0], host, host_status, keel, keel_status)
    if problem:
        pytest.fail(f"{problem}\n(the Keel run's output:)\n{transcript[-3000:]}", pytrace=False)
    print(f"{name} on {kernel[0]}: {len(host)} calls compared")


PLANTED = r"""
#include "difftest.h"
int main(void)
{
    T("syscall(500, NULL, 0)", 500, 0, 0); /* Keel's process listing; not Linux's */
    return 0;
}
"""


def test_difftest_catches_a_planted_difference(kernel, tmp_path):
    """The comparison fails on a real difference (Keel's own system call 500),
    passes once it is allowed, and fails again on an allowed call that agrees."""
    source = tmp_path / "planted.c"
    source.write_text(PLANTED)
    binary = str(tmp_path / "planted")
    subprocess.run(["musl-gcc", "-static", "-O1", f"-I{HERE}", "-o", binary, str(source)],
                   check=True)
    host, host_status, keel, keel_status, _ = run_both(kernel, binary, "planted", tmp_path)
    problem = compare("planted", kernel[0], host, host_status, keel, keel_status, {})
    assert problem and "syscall(500, NULL, 0) = -ENOSYS" in problem, problem
    reason = {("planted", "syscall(500, NULL, 0)"): "Keel's process listing"}
    assert compare("planted", kernel[0], host, host_status, keel, keel_status, reason) is None
    problem = compare("planted", kernel[0], host, host_status, host, host_status, reason)
    assert problem and "remove the entry" in problem, problem  # Keel answering as Linux
