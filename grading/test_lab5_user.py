"""Graders for lab 5 (user processes): loading ELF programs, the process
table and Linux system calls, run with the static programs in
lab5-user/programs (built with musl-gcc -static, booted as an archive).
Hostile programs must be killed with the signal Linux would send, and the
kernel must carry on. Some tests are host-checked (keelgrade/seeded.py): the
kernel starts a program with arguments drawn from a seed the grader picks for
each run, and the functions below compute what the program prints on a kernel
that follows lab5-user/README.md. Run with: make grade LAB=lab5-user"""

from keelgrade.seeded import SplitMix64
from keelgrade.table import KTest, in_kernel_tests

LAB = "lab5-user"

MASK32 = (1 << 32) - 1


def collatz_steps(n):
    steps = 0
    while n > 1:
        n = 3 * n + 1 if n % 2 else n // 2
        steps += 1
    return steps


def forksum_results(seed):
    """fork_children_return_seeded_results runs programs/forksum.c with seeded
    numbers. The model is fork's copy semantics: child i sees the parent's
    memory (a table from malloc, a global "salt") exactly as it was when it
    was forked, with the parent's changes after forking children 0 to i - 1
    and none of the later ones; the child's own writes never reach the
    parent; and wait4 gives each child's exit code (mod 256) back whether it
    is waited for by pid or with -1."""
    rng = SplitMix64(seed)
    children = 3 + rng.below(4)
    numbers = [1 + rng.below(99999) for _ in range(children)]
    table, x = [], numbers[0]
    for _ in range(3000):
        x = (x * 1103515245 + 12345) & MASK32
        table.append(x >> 8)
    codes, salt = [], 7
    for i, n in enumerate(numbers):
        codes.append((collatz_steps(n) + salt + sum(table[i::children])) & 0xff)
        # The parent's changes after fork i: later children only see them.
        table[i] = (table[i] + 0x1000 + i) & MASK32
        salt = (salt * 31 + i) & MASK32
    return ([f"forksum: child {i} (n={n}) exited with {code}"
             for i, (n, code) in enumerate(zip(numbers, codes))] +
            ["forksum: no children left (ECHILD)",
             f"forksum: the parent's table adds up to {sum(table) & MASK32}, its salt is {salt}",
             f"forksum ended with exit code {sum(codes) & 0xff}"])


RELAY_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.,+=/"


def relay_arguments(seed):
    """exec_passes_seeded_arguments runs programs/relay.c with seeded words;
    relay prints them and execs programs/argecho.c with the words reversed
    and "count=N" added, and the environment "RELAY_WORDS=N" alone. The model
    is the start-up stack of the handout (part 1): argc, then argv[0..argc-1]
    exactly as given to process_spawn or execve, then NULL, the environment
    execve passed, with argc at a 16-byte aligned stack pointer, and the
    auxiliary vector's AT_PAGESZ (4096) and AT_ENTRY (the program's entry
    point, the C library's _start). argecho exits with the total length of
    its arguments, mod 256."""
    rng = SplitMix64(seed)
    words = []
    for _ in range(1 + rng.below(5)):
        length = 1 + rng.below(12)
        words.append("".join(RELAY_LETTERS[rng.below(len(RELAY_LETTERS))] for _ in range(length)))
    first = ["relay"] + words
    second = ["argecho"] + words[::-1] + [f"count={len(words)}"]
    return ([f"relay: argc={len(first)}"] +
            [f"relay: argv[{i}]=[{word}]" for i, word in enumerate(first)] +
            [f"argecho: argc={len(second)}"] +
            [f"argecho: argv[{i}]=[{word}]" for i, word in enumerate(second)] +
            ["argecho: argv[argc] is NULL: yes",
             f"argecho: envp[0]=[RELAY_WORDS={len(words)}]",
             "argecho: argc at a 16-byte aligned stack pointer: yes",
             "argecho: AT_PAGESZ=4096",
             "argecho: AT_ENTRY is _start: yes",
             f"relay, then argecho ended with exit code {sum(map(len, second)) & 0xff}"])



def readall_results(seed):
    """read_returns_input_then_end_of_file types two seeded words into
    programs/readall.c, the first with a newline, then ends the input. The
    model is Linux's read on a pipe: every byte typed, in order, then 0 at the
    end and 0 again."""
    rng = SplitMix64(seed)
    words = ["".join("abcdefghijklmnopqrstuvwxyz"[rng.below(26)]
                     for _ in range(1 + rng.below(12))) for _ in range(2)]
    return [f"readall: {len(words[0]) + 1 + len(words[1])} bytes [{words[0]}\\n{words[1]}]; "
            "read returned 0 at the end, then 0",
            "readall ended with exit code 0"]

IN_KERNEL = [
    KTest("elf_runs_printf_program", 5, "a static musl printf program runs, exit status 3", 3.0),
    KTest("hostile_elf_files_are_refused", 5,
          "ELF files with headers or segments outside the file or user space are refused", 3.0),
    KTest("stack_holds_argv_and_envp", 5, "argv and the environment reach main", 3.0),
    KTest("bad_pointers_get_efault", 7, "bad pointers to write/read give EFAULT", 3.0),
    KTest("unknown_syscall_is_enosys", 3, "an unknown system call gives ENOSYS", 3.0),
    KTest("read_returns_input_then_end_of_file", 4,
          "read returns the input, then 0 (end of file) once it has ended", 3.0, readall_results),
    KTest("brk_and_mmap", 7, "brk, malloc, mmap and munmap", 3.0),
    KTest("fork_and_wait", 6, "fork copies the process; wait4 returns its status", 3.0),
    KTest("orphans_are_reaped", 5, "orphans (their parent exited first) are freed when they end",
          3.0),
    KTest("fork_children_return_seeded_results", 8,
          "seeded children: copied memory, exit codes through wait4", 3.0,
          forksum_results),
    KTest("execve_replaces_the_program", 6, "execve replaces the program", 3.0),
    KTest("exec_passes_seeded_arguments", 8,
          "seeded arguments through spawn and execve; the start-up stack", 3.0, relay_arguments),
    KTest("null_dereference_gets_sigsegv", 5, "a NULL dereference: SIGSEGV, kernel runs on", 3.0),
    KTest("kernel_address_gets_sigsegv", 4, "reading kernel memory: SIGSEGV", 3.0),
    KTest("privileged_instruction_gets_sigsegv", 4, "cli in user mode: SIGSEGV", 3.0),
    KTest("noncanonical_jump_gets_sigsegv", 4, "a jump to a non-canonical address: SIGSEGV", 3.0),
    KTest("stack_overflow_gets_sigsegv", 4, "a user stack overflow: SIGSEGV", 3.0),
    KTest("divide_error_and_illegal_instruction", 5, "division by zero: SIGFPE; ud2: SIGILL", 3.0),
    KTest("spinning_process_does_not_stop_the_kernel", 5, "a process that never yields is preempted", 3.0),
]

assert sum(test.points for test in IN_KERNEL) == 100

# The challenge part: copy-on-write fork and demand-zero brk/mmap (vm.c),
# in the same table (its own points and score line).
CHALLENGE = [
    KTest("fork_shares_pages_until_written", 7,
          "fork shares pages until written: one fault per page the child writes", 3.0,
          part="challenge"),
    KTest("fork_copies_no_pages_up_front", 6, "fork of 1024 pages copies none of them", 3.0,
          part="challenge"),
    KTest("brk_and_mmap_allocate_on_first_touch", 7,
          "brk and mmap allocate on first touch, one fault and frame per page", 3.0,
          part="challenge"),
    KTest("bad_accesses_beyond_lazy_memory_get_sigsegv", 5,
          "past the break, in a munmap hole, a read-only mapping: SIGSEGV", 3.0,
          part="challenge"),
    KTest("read_only_pages_stay_read_only_after_fork", 5,
          "read-only pages are shared, never made writable", 3.0, part="challenge"),
    KTest("shared_frames_return_to_their_last_owner", 6,
          "after exit and execve the last owner writes without copying", 3.0, part="challenge"),
    KTest("out_of_memory_in_a_cow_fault_kills_only_the_child", 4,
          "out of memory in a copy-on-write fault: only the child is killed", 3.0,
          part="challenge"),
]

assert sum(test.points for test in CHALLENGE) == 40
IN_KERNEL += CHALLENGE

test_in_kernel = in_kernel_tests(IN_KERNEL)
