"""Boot the complete kernel with a boot archive of our own and one program
as its first process (keel.run), on either platform, and read what it
printed. Shared by the system-call fuzzer and the ELF corpus (tools/fuzz/).
Python standard library only."""
import fcntl
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build", "fuzz")
PLATFORMS = ("pc", "linux")
# What a kernel prints when it stops on a bug of its own (framework/core/panic.c).
KERNEL_TROUBLE = re.compile(r"\*\*\* (KERNEL PANIC|BUG CAUGHT BY KEEL)[^\n]*")


def kernel_dir(platform):
    return os.path.join(ROOT, "build", "complete", "solution" + ("-linux" if platform == "linux" else ""))


def make(*goals, platform="linux"):
    # Under the lock the graders and the test suite build with (build.py):
    # other makes may be building in the same build/ directory.
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build", ".grading.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(["make", "--no-print-directory", "-s", "-C", ROOT, *goals, "LAB=complete",
                        "SOLUTION=1", f"PLATFORM={platform}"], check=True, stdout=subprocess.DEVNULL)


def build_kernels(platforms):
    for platform in platforms:
        make("deps-boot" if platform == "pc" else "deps-build", "kernel", platform=platform)


def compile_program(name):
    """tools/fuzz/NAME.c as a static musl program in build/fuzz/NAME."""
    os.makedirs(BUILD, exist_ok=True)
    source, binary = os.path.join(ROOT, "tools", "fuzz", name + ".c"), os.path.join(BUILD, name)
    if not os.path.exists(binary) or os.path.getmtime(binary) < os.path.getmtime(source):
        compile_to(binary, ["musl-gcc", "-static", "-no-pie", "-O2", "-fno-stack-protector", "-Wall",
                            "-Wextra", "-Werror", source])
    return binary


def compile_to(binary, command):
    """Run a compiler `command` (without -o) so that `binary` appears whole
    at once: parallel test workers may build the same program."""
    temporary = f"{binary}.{os.getpid()}"
    subprocess.run([*command, "-o", temporary], check=True)
    os.replace(temporary, binary)


def make_archive(out, files, platform, with_programs=True):
    """A cpio archive: `files` (name -> path) first, then the kernel's own
    programs (the kernel takes at most 64 files)."""
    entries = [f"{name}={path}" for name, path in files.items()]
    if not with_programs:
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkprograms.py"), out, *entries], check=True)
        return
    programs = os.path.join(kernel_dir(platform), "programs")
    own = {"motd.txt": os.path.join(ROOT, "labs", "complete", "programs", "motd.txt")}
    own.update((name, os.path.join(programs, name)) for name in sorted(os.listdir(programs)))
    for name, path in own.items():
        if name not in files:
            entries.append(f"{name}={path}")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mkprograms.py"), out, *entries], check=True)


class Run:
    """One boot: its output (text), the program's exit status from the EXIT
    frame (None if the kernel never powered off), and whether it timed out."""

    def __init__(self, output, status, timed_out, command):
        self.output, self.status, self.timed_out, self.command = output, status, timed_out, command

    def trouble(self):
        """The kernel's own failure, in a sentence, or None."""
        match = KERNEL_TROUBLE.search(self.output)
        if match:
            return f"the kernel stopped: {match.group(0).strip('* ')}"
        if self.timed_out:
            return "the kernel neither finished nor stopped before the time limit (hang?)"
        if self.status is None:
            return "the kernel ended without powering off normally (no EXIT frame)"
        return None


def boot(platform, program, files, timeout, arguments=(), with_programs=True):
    """Boot with `files` (name -> path) plus the kernel's programs; run
    `program` from the archive with `arguments`."""
    with tempfile.TemporaryDirectory(prefix="keel-fuzz-") as work:
        # As tools/run-program: each argument followed by a NUL byte, and an
        # empty standard input (end-of-file at once, as /dev/null).
        args_file, stdin_file = os.path.join(work, "run.args"), os.path.join(work, "run.stdin")
        with open(args_file, "wb") as f:
            f.write(b"".join(a.encode() + b"\0" for a in arguments))
        with open(stdin_file, "wb"):
            pass
        archive = os.path.join(work, "programs.cpio")
        make_archive(archive, {**files, "run.args": args_file, "run.stdin": stdin_file}, platform,
                     with_programs)
        directory = kernel_dir(platform)
        cmdline = f"keel.run={program} keel.nonce=fuzz"
        if platform == "linux":
            command = [os.path.join(directory, "kernel.elf"), f"--initrd={archive}", *cmdline.split()]
        else:
            qemu = os.environ.get("KEEL_QEMU") or subprocess.run(
                ["make", "--no-print-directory", "-s", "-C", ROOT, "qemu-args"], capture_output=True,
                text=True, check=True).stdout
            command = [*shlex.split(qemu), "-display", "none", "-nodefaults", "-serial", "stdio", "-kernel",
                       os.path.join(directory, "kernel.elf"), "-initrd", archive, "-append", cmdline]
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        try:
            data, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            os.killpg(process.pid, signal.SIGKILL)
            data, _ = process.communicate()
    output = data.decode(errors="replace").replace("\r", "").replace("\0", "^@")
    exits = re.findall(r"@@keel:fuzz:EXIT:(-?\d+)", output)
    return Run(output, int(exits[-1]) if exits else None, timed_out, command)
