"""The complete kernel: the shell answers commands typed over serial, and
`make run` runs a host program and hands back its output and exit status."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keelgrade.lab import Lab  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def complete(tree_make):
    """The complete kernel. keel-run and make run build it for their platform
    without the graders' lock: built here first, for both platforms, under
    it (a parallel worker's Lab build of the same kernel raced them)."""
    for platform in ("pc", "linux"):
        tree_make("-s", "kernel", "LAB=complete", "SOLUTION=1", f"PLATFORM={platform}", check=True,
                  stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return Lab(ROOT, "complete", solution=True, checked=False)


@pytest.fixture(scope="module", params=["pc", "linux"])
def complete_on(request):
    """The complete kernel on each platform: in QEMU, and as a Linux process."""
    return Lab(ROOT, "complete", solution=True, checked=False, platform=request.param)


def command(complete, machine, line, expected):
    mark = machine.mark()
    machine.send(line + "\r")
    complete.expect(machine, lambda: expected in machine.since(mark) and
                    "$ " in machine.since(mark)[len(line):],
                    f"'{line}' should print {expected!r} and a new prompt", multiplier=3)


def test_shell_over_serial(complete_on, tmp_path):
    complete = complete_on
    with complete.start(str(tmp_path)) as machine:
        complete.expect_text(machine, "$ ", "the shell prompt after boot", multiplier=3)
        command(complete, machine, "echo hi there", "hi there")
        command(complete, machine, "ls", "motd.txt")
        command(complete, machine, "cat motd.txt", "every lab's reference solution")
        command(complete, machine, "ps", "sh")
        command(complete, machine, "nullptr", "was killed by signal 11")
        command(complete, machine, "hello a b", "Hello from hello with 3 arguments")
        command(complete, machine, "forker", "my copy is still 10")
        command(complete, machine, "nosuch", "no such program")


def test_shell_ends_with_its_input_on_linux():
    """On the Linux platform standard input can end: the shell reads end of
    file and exits, and the kernel powers off rather than start shell after
    shell (each reading end of file at once) or wait for ever."""
    elf = Lab(ROOT, "complete", solution=True, checked=False, platform="linux").kernel.elf
    run = subprocess.run([elf, "--initrd=" + os.path.join(os.path.dirname(elf), "programs.cpio")],
                         input="echo hi there\n", capture_output=True, text=True, timeout=60)
    assert "hi there" in run.stdout, run.stdout
    assert run.stdout.count("Keel shell.") == 1, run.stdout[-2000:]
    assert "the shell exited at the end of its input; powering off" in run.stdout, run.stdout
    assert run.returncode == 1, run.returncode  # a power-off with KEEL_EXIT_SUCCESS: (0 << 1) | 1


def compile_program(tmp_path, name, source):
    path = tmp_path / f"{name}.c"
    path.write_text(source)
    binary = tmp_path / name
    subprocess.run(["musl-gcc", "-static", "-O1", "-o", str(binary), str(path)], check=True)
    return binary


def run(binary, *args, platform="pc"):
    return subprocess.run([os.path.join(ROOT, "tools/keel-run"), str(binary), *args],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, PLATFORM=platform))


def make_run(binary, args):
    return subprocess.run(["make", "--no-print-directory", "-s", "run", f"PROG={binary}",
                           f"ARGS={args}"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("platform", ["pc", "linux"])
def test_make_run_printf_program(complete, tmp_path, platform):
    binary = compile_program(tmp_path, "greet", '#include <stdio.h>\n'
                             'int main(int c, char **v) { printf("%d %s!\\n", c, v[1]); return 42; }\n')
    result = run(binary, "world", platform=platform)
    assert result.stdout == "2 world!\n", result.stdout + result.stderr
    assert result.returncode == 42


def test_make_run_prints_the_status_it_cannot_return(complete, tmp_path):
    """make exits with 2 for any failing recipe, so `make run` says the status."""
    binary = compile_program(tmp_path, "greet", '#include <stdio.h>\n'
                             'int main(int c, char **v) { printf("%s\\n", v[c - 1]); return c - 1; }\n')
    result = make_run(binary, "one two")
    assert result.stdout == "two\n", result.stdout + result.stderr
    assert result.returncode == 2 and "[greet exited with status 2]" in result.stderr
    result = make_run(binary, "")
    assert result.returncode == 0 and result.stdout == "greet\n", result.stdout + result.stderr


@pytest.mark.parametrize("platform", ["pc", "linux"])
def test_make_run_reports_the_killing_signal(complete, tmp_path, platform):
    binary = compile_program(tmp_path, "crash", "int main(void) { *(volatile int *)8 = 1; }\n")
    result = run(binary, platform=platform)
    assert result.returncode == 128 + 11, result.stdout + result.stderr
    assert "killed by signal 11" in result.stdout


def test_make_run_refuses_what_is_not_a_program(complete, tmp_path):
    (tmp_path / "text").write_text("not a program\n")
    result = run(tmp_path / "text")
    assert result.returncode == 126 and "not a static x86_64 ELF program" in result.stderr
