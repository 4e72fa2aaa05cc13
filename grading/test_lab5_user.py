"""Graders for lab 5 (user processes): loading ELF programs, the process
table and Linux system calls, run with the static programs in
lab5-user/programs (built with musl-gcc -static, booted as an archive).
Hostile programs must be killed with the signal Linux would send, and the
kernel must carry on. Run with: make grade LAB=lab5-user"""
import pytest

from keelgrade.table import KTest, in_kernel_tests

LAB = "lab5-user"

IN_KERNEL = [
    KTest("elf_runs_printf_program", 12, "a static musl printf program runs, exit status 3", 3.0),
    KTest("stack_holds_argv_and_envp", 8, "argv and the environment reach main", 3.0),
    KTest("bad_pointers_get_efault", 10, "bad pointers to write/read give EFAULT", 3.0),
    KTest("unknown_syscall_is_enosys", 4, "an unknown system call gives ENOSYS", 3.0),
    KTest("brk_and_mmap", 10, "brk, malloc, mmap and munmap", 3.0),
    KTest("fork_and_wait", 12, "fork copies the process; wait4 returns its status", 3.0),
    KTest("execve_replaces_the_program", 8, "execve replaces the program", 3.0),
    KTest("null_dereference_gets_sigsegv", 6, "a NULL dereference: SIGSEGV, kernel runs on", 3.0),
    KTest("kernel_address_gets_sigsegv", 5, "reading kernel memory: SIGSEGV", 3.0),
    KTest("privileged_instruction_gets_sigsegv", 5, "cli in user mode: SIGSEGV", 3.0),
    KTest("noncanonical_jump_gets_sigsegv", 5, "a jump to a non-canonical address: SIGSEGV", 3.0),
    KTest("stack_overflow_gets_sigsegv", 5, "a user stack overflow: SIGSEGV", 3.0),
    KTest("divide_error_and_illegal_instruction", 5, "division by zero: SIGFPE; ud2: SIGILL", 3.0),
    KTest("spinning_process_does_not_stop_the_kernel", 5, "a process that never yields is preempted", 3.0),
]

test_in_kernel = in_kernel_tests(IN_KERNEL)
