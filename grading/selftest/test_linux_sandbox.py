"""On the Linux platform a user program runs in a traced child process. A
hostile one must not get out of it: not into the kernel process's memory,
not into the platform's own stub pages, not to Linux through a system call
of its own. Each attack runs in a forked child of the program, which reports
how it ended; the kernel must carry on to the end and power off normally."""
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build", "complete", "solution-linux", "kernel.elf")

ATTACKER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long target;

static long raw_syscall(long number, long a0, long a1, long a2)
{
    long result;
    __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(a0), "S"(a1), "d"(a2)
                     : "rcx", "r11", "memory");
    return result;
}

static void read_it(void) { printf("read %lx\n", *(volatile unsigned long *)target); }
static void write_it(void) { *(volatile unsigned long *)target = 0x5a5a5a5a; }
static void jump_there(void) { ((void (*)(void))target)(); }

/* A page the kernel unmapped (and flushed) must be gone from this process. */
static void use_after_munmap(void)
{
    volatile unsigned long *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *page = 1;
    munmap((void *)page, 4096);
    *page = 2;
}

/* Run attack(address) in a child; say how the child ended. */
static void attack(const char *what, void (*how)(void), unsigned long address)
{
    fflush(stdout);
    target = address;
    pid_t pid = fork();
    if (pid == 0) {
        how();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
    else
        printf("%s: survived, exit %d\n", what, WEXITSTATUS(status));
}

int main(int argc, char **argv)
{
    unsigned long kernel_data = strtoul(argv[1], NULL, 16);
    attack("read kernel data", read_it, kernel_data);
    attack("write kernel data", write_it, kernel_data);
    attack("read physical memory", read_it, 0x500000000000ul);
    attack("write physical memory", write_it, 0x500000000000ul);
    attack("read stub requests", read_it, 0x10000010000ul);
    attack("write stub code", write_it, 0x10000000000ul);
    attack("write stub requests", write_it, 0x10000010000ul);
    attack("jump into stub", jump_there, 0x10000000100ul);
    attack("write unmapped page", use_after_munmap, 0);
    /* System calls Keel does not serve must not reach Linux. */
    printf("kill(1, SIGKILL) = %ld\n", raw_syscall(62, 1, 9, 0));
    printf("open(/etc/hostname) = %ld\n", raw_syscall(2, (long)"/etc/hostname", 0, 0));
    printf("ptrace(TRACEME) = %ld\n", raw_syscall(101, 0, 0, 0));
    printf("getppid() = %ld\n", raw_syscall(110, 0, 0, 0));
    printf("the kernel is still here\n");
    return 7;
}
"""


@pytest.fixture(scope="module")
def attacker(tmp_path_factory):
    directory = tmp_path_factory.mktemp("attacker")
    source = directory / "attacker.c"
    source.write_text(ATTACKER)
    binary = directory / "attacker"
    subprocess.run(["musl-gcc", "-static", "-O1", "-o", str(binary), str(source)], check=True)
    return binary


def kernel_symbol(name):
    table = subprocess.run(["nm", KERNEL], capture_output=True, text=True, check=True).stdout
    for line in table.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[2] == name:
            return fields[0]
    raise AssertionError(f"{name} is not in {KERNEL}")


def test_hostile_program_stays_in_its_process(attacker):
    subprocess.run(["make", "--no-print-directory", "-s", "kernel", "LAB=complete", "SOLUTION=1",
                    "PLATFORM=linux"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    cpu = kernel_symbol("linux_cpu")  # the emulated CPU: interrupt flag, CR3
    run = subprocess.run([os.path.join(ROOT, "tools/keel-run"), str(attacker), cpu],
                         capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, PLATFORM="linux"))
    out = run.stdout
    assert run.returncode == 7, out + run.stderr
    attacks = ("read kernel data", "write kernel data", "read physical memory",
               "write physical memory", "read stub requests", "write stub code",
               "write stub requests", "jump into stub", "write unmapped page")
    for pid, what in enumerate(attacks, start=2):
        assert f"{what}: killed by signal 11" in out, f"{what}:\n{out}"
        # killed by Keel for a page fault, not for anything else it ran into
        assert f"process {pid} (attacker) killed by signal 11 (segmentation fault): page fault" \
            in out, f"{what}:\n{out}"
    for trouble in ("BUG CAUGHT BY KEEL", "PANIC", "general protection", "Keel (Linux platform)"):
        assert trouble not in out, out
    for call in ("kill(1, SIGKILL)", "ptrace(TRACEME)"):
        assert f"{call} = -38" in out, f"{call} should fail with ENOSYS in Keel:\n{out}"
    # Keel's own getppid (the complete kernel's first process has no parent),
    # never the host's answer.
    assert "getppid() = 0" in out, out
    # Keel's own open, on its boot archive (Linux would give a descriptor).
    assert "open(/etc/hostname) = -2" in out, out
    assert "the kernel is still here" in out
