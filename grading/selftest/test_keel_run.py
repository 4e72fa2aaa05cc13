"""tools/keel-run and `make run` on both platforms, against the same program
run natively on this machine: arguments arrive byte for byte (or the run
says clearly that the kernel cannot take them), standard input arrives with
its end, and a kernel failure has an exit status and a verdict of its own."""
import os
import pty
import random
import select
import signal
import stat
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEEL_RUN = os.path.join(ROOT, "tools", "keel-run")
RUN_PROGRAM = os.path.join(ROOT, "tools", "run-program")
KERNEL_FAILED = 250
PLATFORMS = ["pc", "linux"]

# Each argument on a line of its own, every byte outside printable ASCII
# (and the backslash) as \xNN: what the kernel handed over, exactly.
SHOW_ARGS = r"""
#include <stdio.h>
int main(int argc, char **argv) {
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++) {
        for (unsigned char *p = (unsigned char *)argv[i]; *p; p++)
            printf(*p >= 32 && *p < 127 && *p != '\\' ? "%c" : "\\x%02x", *p);
        printf("|\n");
    }
    return 0;
}
"""
# Standard input through stdio (musl reads it with readv) and through
# read(2), counted and hashed: the same answer as on Linux, or a hang.
COUNT_STDIN = r"""
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    unsigned long n = 0, h = 5381;
    if (argc > 1 && strcmp(argv[1], "prompt") == 0) {
        printf("ready\n");
        fflush(stdout);
    }
    if (argc > 1 && argv[1][0] != 's') {
        char buf[1000];
        ssize_t got;
        while ((got = read(0, buf, sizeof buf)) > 0)
            for (ssize_t i = 0; i < got; i++, n++) h = h * 33 + (unsigned char)buf[i];
        if (got < 0) return 9;
    } else {
        int c;
        while ((c = getchar()) != EOF) { n++; h = h * 33 + (unsigned char)c; }
    }
    printf("%lu bytes, hash %lx\n", n, h);
    return 0;
}
"""
EXIT_WITH = r"""
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    printf("exiting\n");
    fflush(stdout);
    if (argv[1][0] == 's') *(volatile int *)8 = 1;
    if (argv[1][0] == 'i') __builtin_trap();
    return atoi(argv[1]);
}
"""
YES = '#include <stdio.h>\nint main(void) { for (;;) puts("y"); }\n'
SPIN = '#include <stdio.h>\nint main(void) { puts("spinning"); fflush(stdout); for (;;) {} }\n'


def compile_program(directory, name, source):
    path = directory / f"{name}.c"
    path.write_text(source)
    binary = directory / name
    subprocess.run(["musl-gcc", "-static", "-O1", "-o", str(binary), str(path)], check=True)
    return str(binary)


@pytest.fixture(scope="module")
def programs(tmp_path_factory, tree_make):
    directory = tmp_path_factory.mktemp("keel-run-programs")
    for platform in PLATFORMS:  # built once here (under the build lock), not by parallel runs
        tree_make("-s", "kernel", "LAB=complete", "SOLUTION=1", f"PLATFORM={platform}", check=True,
                  stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return {name: compile_program(directory, name, source) for name, source in
            [("show_args", SHOW_ARGS), ("count_stdin", COUNT_STDIN), ("exit_with", EXIT_WITH),
             ("spin", SPIN), ("yes", YES)]}


def keel_run(platform, program, *args, timeout=120, **options):
    options.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([KEEL_RUN, program, *args], capture_output=True, timeout=timeout,
                          env=dict(os.environ, PLATFORM=platform, **options.pop("env", {})),
                          **options)


def native(program, *args, **options):
    options.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([program, *args], capture_output=True, timeout=60, **options)


TRICKY = ["two words", "", "  leading and trailing  ", "tab\there", "new\nline", "cr\rcr",
          "'single'", '"double"', "back\\slash", "$HOME", "*", "--", "-x", "\u00e9t\u00e9 \u2603",
          os.fsdecode(b"\xff\xfe not UTF-8 \x80"), "=", "a=b c", ";|&<>()", "`ls`"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_arguments_arrive_byte_exact(programs, platform):
    """Spaces, quotes, newlines, empty strings, bytes that are not UTF-8: as
    on Linux. (The old script split on spaces and dropped empty ones.)"""
    result = keel_run(platform, programs["show_args"], *TRICKY)
    expected = native(programs["show_args"], *TRICKY).stdout
    assert (result.returncode, result.stdout) == (0, expected), result.stderr.decode()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_many_and_long_arguments_arrive_or_fail_clearly(programs, platform):
    """More than 15 arguments, more than 1 KiB, one argument far over 63
    bytes: the program gets them all exactly, or nothing runs and the run
    says the list is too long (126, as a shell's exec failure). Never a
    silent drop. (The old script kept 15 and dropped everything over 1 KiB.)"""
    seed = random.randrange(1 << 32)
    rng = random.Random(seed)
    cases = [[f"arg{i}" for i in range(40)],
             ["".join(rng.choice("abc xyz\n") for _ in range(rng.randrange(1, 300)))
              for _ in range(20)],
             ["x" * 4000, "y" * 100],
             [str(i) for i in range(5000)],
             ["z" * 100000] * 3]
    ran = 0
    for args in cases:
        result = keel_run(platform, programs["show_args"], *args)
        what = f"{len(args)} arguments, {sum(len(a) + 1 for a in args)} bytes (seed {seed})"
        if result.returncode == 126:
            assert result.stdout == b"", what
            assert b"Argument list too long" in result.stderr, what
        else:
            expected = native(programs["show_args"], *args).stdout
            assert (result.returncode, result.stdout) == (0, expected), \
                what + ": " + result.stderr.decode()
            ran += 1
    assert ran >= 3, "the first three lists are well inside what every kernel should take"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_make_run_splits_args_as_a_shell_does(programs, platform):
    result = subprocess.run(["make", "--no-print-directory", "-s", "run", f"PLATFORM={platform}",
                             f"PROG={programs['show_args']}",
                             "ARGS=\"a b\" '' c\\ d 'it''s' $$HOME"], cwd=ROOT,
                            capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    expected = native(programs["show_args"], "a b", "", "c d", "its", "$HOME").stdout
    assert (result.returncode, result.stdout) == (0, expected), result.stderr.decode()


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("how", ["stdio", "raw"])
def test_standard_input_arrives_with_its_end(programs, platform, how, tmp_path):
    """A pipe, /dev/null and 1 MiB of random bytes: the same count and hash
    as on Linux, then end-of-file (the old script gave /dev/null to the
    kernel: the program waited forever)."""
    seed = random.randrange(1 << 32)
    big = tmp_path / "big"
    big.write_bytes(random.Random(seed).randbytes(1 << 20))
    program = programs["count_stdin"]
    for name, given in [("a pipe", b"hi\n"), ("/dev/null", os.devnull), ("1 MiB", big)]:
        def options():
            if isinstance(given, bytes):
                return {"input": given, "stdin": None}
            return {"stdin": open(given, "rb")}
        try:
            result = keel_run(platform, program, how, timeout=60, **options())
        except subprocess.TimeoutExpired:
            pytest.fail(f"standard input from {name}: the program never saw its end")
        expected = native(program, how, **options()).stdout
        assert (result.returncode, result.stdout) == (0, expected), \
            f"{name} (seed {seed}): {result.stderr.decode()}"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_program_statuses_are_linuxs(programs, platform):
    for arg, status in [("0", 0), ("1", 1), ("125", 125), ("127", 127), ("255", 255),
                        ("segv", 128 + 11), ("ill", 128 + 4)]:
        result = keel_run(platform, programs["exit_with"], arg)
        assert result.returncode == status, f"exit {arg}: {result.stderr.decode()}"
        assert b"KERNEL FAILURE" not in result.stderr


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_hang_is_a_kernel_failure_with_a_verdict(programs, platform):
    result = keel_run(platform, programs["spin"], env={"KEEL_RUN_TIMEOUT": "3"})
    assert result.returncode == KERNEL_FAILED, result.stderr.decode()
    assert result.stdout == b"spinning\n"
    assert b"KERNEL FAILURE" in result.stderr and b"KEEL_RUN_TIMEOUT=3" in result.stderr
    assert b"spinning" in result.stderr, "the verdict shows the serial log's tail"


def fake_kernel(directory, script):
    """An emulator (or Linux-platform kernel) that says `script` (sh, with
    $nonce the run's nonce) instead of booting: a planted failure."""
    path = directory / "kernel.elf"
    path.write_text("#!/bin/sh\nnonce=$(printf '%s\\n' \"$@\" | sed -n "
                    "'s/.*keel.nonce=\\([0-9a-f]*\\).*/\\1/p')\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


FAILURES = {
    "panic": ("printf 'early output\\r\\n\\r\\n@@keel:%s:PANIC:planted (at fake.c:1)\\r\\n"
              "\\r\\n@@keel:%s:EXIT:3\\r\\n' $nonce $nonce; exit 3", [b"PANIC: planted"]),
    "exception": ("printf 'x\\r\\n@@keel:%s:EXCEPTION:page fault (vector 14) at f+0x1\\r\\n'"
                  " $nonce; exit 4", [b"EXCEPTION: page fault"]),
    "emulator crash": ("printf 'half a line'; kill -SEGV $$",
                       [b"killed by signal 11", b"without the kernel powering off"]),
    "no power-off": ("printf 'bye\\r\\n'; exit 0", [b"exit code 0", b"bye"]),
}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_kernel_failures_exit_250_with_a_verdict(programs, platform, failure, tmp_path):
    script, words = FAILURES[failure]
    kernel_dir = tmp_path / ("solution-linux" if platform == "linux" else "solution")
    kernel_dir.mkdir()
    fake = fake_kernel(kernel_dir, script)
    env = dict(os.environ, KEEL_QEMU=fake)  # the PC path runs "$KEEL_QEMU … -append …"
    result = subprocess.run([RUN_PROGRAM, str(kernel_dir), programs["show_args"]], env=env,
                            capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == KERNEL_FAILED, result.stderr.decode()
    assert b"KERNEL FAILURE (exit status 250)" in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr.decode()
    assert b"@@keel" not in result.stdout


def test_frames_printed_by_the_program_are_only_output(programs, tmp_path):
    """The run's frames carry a nonce of their own: a program printing an
    EXIT frame of the old fixed nonce ("run") cannot fake its status."""
    binary = compile_program(tmp_path, "fake_exit", '#include <stdio.h>\nint main(void) {'
                             ' printf("\\n@@keel:run:EXIT:0\\n"); return 7; }\n')
    result = keel_run("linux", binary)
    assert result.returncode == 7 and result.stdout == b"\n@@keel:run:EXIT:0\n"


def test_refuses_what_is_not_a_program(tmp_path):
    (tmp_path / "text").write_text("not a program\n")
    result = keel_run("linux", str(tmp_path / "text"))
    assert result.returncode == 126 and b"not a static x86_64 ELF program" in result.stderr
    result = keel_run("linux", str(tmp_path / "missing"))
    assert result.returncode == 127 and b"no such file" in result.stderr


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_closed_output_pipe_ends_the_run_as_sigpipe(programs, platform):
    """As `yes | head -c 4` on Linux: the writer ends with 128 + SIGPIPE."""
    yes = subprocess.Popen([KEEL_RUN, programs["yes"]], stdout=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, env=dict(os.environ, PLATFORM=platform))
    assert yes.stdout.read(4) == b"y\ny\n"
    yes.stdout.close()
    assert yes.wait(timeout=60) == 128 + signal.SIGPIPE


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_terminal_ends_its_input_with_ctrl_d(programs, platform):
    """On a terminal, as on Linux: Enter ends a line, Ctrl-D the input. (The
    old script gave the kernel /dev/null: nothing typed arrived.)"""
    master, slave = pty.openpty()
    tool = subprocess.Popen([KEEL_RUN, programs["count_stdin"], "prompt"], stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, PLATFORM=platform))
    os.close(slave)
    answer = b""

    def read_until(word):
        nonlocal answer
        deadline = time.monotonic() + 60
        while word not in answer and time.monotonic() < deadline:
            if select.select([tool.stdout], [], [], 1)[0]:
                answer += os.read(tool.stdout.fileno(), 4096) or b"(end)"
        return word in answer
    try:
        assert read_until(b"ready\n"), answer
        os.write(master, b"abc\r")  # Enter sends CR, as every terminal does
        time.sleep(0.5)
        os.write(master, b"\x04")
        assert read_until(b"bytes"), f"Ctrl-D did not end the input: {answer!r}"
        assert tool.wait(timeout=30) == 0
        answer += tool.stdout.read()
        expected = native(programs["count_stdin"], "prompt", input=b"abc\n", stdin=None).stdout
        assert answer == expected
    finally:
        tool.kill()
        tool.wait()
        os.close(master)
