/* Lab 5 tests: bundled programs (lab5-user/programs, static musl
 * binaries from the boot archive) run as processes; hostile ones are killed
 * with the right signal and the kernel carries on. */
#include <keel/testing.h>
#include <ktest.h>

#include "support.h"

#define SIGILL  4
#define SIGFPE  8
#define SIGSEGV 11

/* For a failure when the last program printed nothing and "ended" with
 * status 0: most likely process_wait returned before it ran. */
static const char *early_return_hint(void)
{
    if (run_output[0] || run_status != 0)
        return "";
    return "\nThe program printed nothing and process_wait returned 0: did process_wait return "
           "before the program ran? (thread_join cannot wait for a thread made by thread_new: "
           "see process_wait in lab5.h.)";
}

static int run1(const char *name)
{
    const char *argv[] = {name, NULL};
    return run_program(argv);
}

static void expect_output(const char *text, const char *what)
{
    KT_ASSERT(strstr(run_output, text), "%s: expected \"%s\" in the output:\n%s%s", what, text,
              run_output, early_return_hint());
}

static void expect_exit(int status, int code, const char *what)
{
    KT_ASSERT(status == code << 8,
              "%s: wait status %#x; expected exit code %d (status %#x). Output:\n%s%s", what,
              status, code, code << 8, run_output, early_return_hint());
}

static void expect_signal(int status, int signal, const char *what)
{
    KT_ASSERT(status == signal,
              "%s: wait status %#x; expected to be killed by signal %d. Output:\n%s", what, status,
              signal, run_output);
}

KTEST(elf_runs_printf_program)
{
    const char *argv[] = {"hello", "one", "two", NULL};
    int status = run_program(argv);
    expect_output("Hello from hello with 3 arguments", "hello");
    expect_exit(status, 3, "hello");
}

/* Free every user page and page table under `root`, then root (whatever a
 * loader mapped before it refused or after it wrongly accepted). */
static void free_user_tables(phys_addr_t table, int level)
{
    pte_t *entries = pt_table(table);
    for (unsigned i = 0; i < (level == 4 ? PT_ENTRIES / 2 : PT_ENTRIES); i++) {
        if (!pte_present(entries[i]))
            continue;
        if (level > 1)
            free_user_tables(pte_address(entries[i]), level - 1);
        else
            frame_free(pte_address(entries[i]), 0);
    }
    frame_free(table, 0);
}

static _Alignas(16) uint8_t hostile[64 * 1024];

/* elf_load of hostile[0, size) into a fresh address space; its result. */
static int load_hostile(size_t size)
{
    phys_addr_t root = paging_new_root();
    KT_ASSERT(root, "paging_new_root");
    struct elf_info info;
    int result = elf_load(root, hostile, size, &info);
    free_user_tables(root, 4);
    return result;
}

/* The first PT_LOAD program header of the copy in `hostile`. */
static struct elf_segment *first_load(void)
{
    struct elf_header header;
    memcpy(&header, hostile, sizeof(header));
    for (unsigned i = 0; i < header.phnum; i++) {
        struct elf_segment *segment =
            (struct elf_segment *)(hostile + header.phoff + i * sizeof(*segment));
        if (segment->type == ELF_SEGMENT_LOAD)
            return segment;
    }
    KT_FAIL("hello has no PT_LOAD segment");
}

/* The changes hostile_elf_files_are_refused makes to hello's headers. */
#define CHANGE(name, body)                                                                         \
    static void name(struct elf_header *header, struct elf_segment *segment, size_t size)          \
    {                                                                                              \
        (void)header, (void)segment, (void)size;                                                   \
        body;                                                                                      \
    }
CHANGE(phoff_near_the_end, header->phoff = size - 8)
CHANGE(phnum_huge, header->phnum = 0xffff)
CHANGE(offset_past_the_end, segment->offset = size + 4096)
CHANGE(filesz_past_the_end, segment->filesz = segment->memsz = size + 1)
CHANGE(offset_wraps, segment->offset = ~0ul - 4095)
CHANGE(filesz_over_memsz, segment->filesz = segment->memsz + 1)
CHANGE(vaddr_in_the_kernel, segment->vaddr = 0xffff800000000000ul)
CHANGE(past_user_space, (segment->vaddr = USER_SPACE_END - 4096, segment->memsz = 8192))
CHANGE(vaddr_wraps, (segment->vaddr = 0x400000, segment->memsz = ~0ul - 4095))

/* Hostile variants of the hello program (from the boot archive), each given
 * to elf_load directly: every one must be refused with an error before the
 * loader reads or maps anything it should not. */
KTEST(hostile_elf_files_are_refused)
{
    lab5_start();
    const struct program_file *file = programs_find("hello");
    KT_ASSERT(file && file->size <= sizeof(hostile), "the boot archive's hello");
    const size_t size = file->size;
    memcpy(hostile, file->data, size);
    int result = load_hostile(size);
    KT_ASSERT(result == 0, "elf_load refused the intact hello program (returned %d)", result);
    struct elf_header *header = (struct elf_header *)hostile; /* hostile is 8-byte aligned */
    struct {
        const char *what;
        size_t size;
        void (*change)(struct elf_header *, struct elf_segment *, size_t);
    } cases[] = {
        {"a file cut to 40 bytes (shorter than the ELF header)", 40, NULL},
        {"e_phoff pointing 8 bytes before the end of the file (program headers past the end)", size,
         phoff_near_the_end},
        {"e_phnum = 65535 (program headers past the end)", size, phnum_huge},
        {"a PT_LOAD segment whose p_offset is past the end of the file", size, offset_past_the_end},
        {"a PT_LOAD segment whose p_offset + p_filesz runs past the end of the file", size,
         filesz_past_the_end},
        {"a PT_LOAD segment whose p_offset + p_filesz wraps around 2^64", size, offset_wraps},
        {"a PT_LOAD segment with p_filesz > p_memsz", size, filesz_over_memsz},
        {"a PT_LOAD segment at a kernel address (0xffff800000000000)", size, vaddr_in_the_kernel},
        {"a PT_LOAD segment running past USER_SPACE_END", size, past_user_space},
        {"a PT_LOAD segment whose p_vaddr + p_memsz wraps around 2^64", size, vaddr_wraps},
    };
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(cases); i++) {
        memcpy(hostile, file->data, size);
        if (cases[i].change)
            cases[i].change(header, first_load(), size);
        result = load_hostile(cases[i].size);
        KT_ASSERT(
            result < 0,
            "elf_load accepted %s (it returned %d): a loader must refuse a file whose headers "
            "or segments lie outside the file or outside user space, with -ENOEXEC, before it "
            "reads or maps anything. Check every bound in elf_load (lab5-user/elf.c), also "
            "against overflow (a + b can wrap around)",
            cases[i].what, result);
    }
}

KTEST(stack_holds_argv_and_envp)
{
    const char *argv[] = {"args", "first", "second argument", NULL};
    int status = run_program(argv);
    expect_output("argv[0]=args\nargv[1]=first\nargv[2]=second argument\n", "args");
    expect_output("HOME=/", "args (environment)");
    expect_exit(status, 0, "args");
}

KTEST(bad_pointers_get_efault)
{
    /* A byte of input waits, so that a read() that does not fail returns
     * at once instead of waiting for input that never comes. */
    console_inject_clear();
    console_inject_input("x", 1);
    int status = run1("badptr");
    KT_ASSERT(!strstr(run_output, "read(into code): returned"),
              "badptr: read() into the program's own code did not fail with EFAULT: the code "
              "segment is mapped writable. Map each ELF segment with the permissions its p_flags "
              "give (writable only with PF_W, executable only with PF_X). Output:\n%s",
              run_output);
    expect_output("write(NULL): EFAULT", "badptr");
    expect_exit(status, 0, "badptr (every bad pointer must give EFAULT)");
}

KTEST(unknown_syscall_is_enosys)
{
    expect_exit(run1("unknown"), 0, "unknown (syscall 999 must fail with ENOSYS)");
}

KTEST(brk_and_mmap)
{
    int status = run1("memory");
    expect_output("heap and mappings ok", "memory");
    expect_exit(status, 0, "memory");
}

KTEST(fork_and_wait)
{
    int status = run1("forker");
    expect_output("parent: child exited with 7, my copy is still 10", "forker");
    expect_exit(status, 8, "forker");
}

/* Whether every process in the table has ended and switched away for good. */
static bool all_ended(void)
{
    size_t count = 0;
    struct process *table = process_table(&count);
    for (size_t i = 0; i < count; i++)
        if (table[i].state == PROCESS_RUNNING ||
            (table[i].state == PROCESS_ZOMBIE && table[i].thread->state != THREAD_DEAD))
            return false;
    return true;
}

KTEST(orphans_are_reaped)
{
    int status = run1("orphanage");
    KT_ASSERT(!strstr(run_output, "fork failed"),
              "orphanage: fork failed once the table held the orphans of earlier rounds "
              "(processes whose parent exited first, which then ended): nobody can wait4 for an "
              "orphan, so the kernel must free its entry when it ends (lab5-user/README.md, "
              "part 2). Output:\n%s",
              run_output);
    expect_output("orphanage: 40 rounds, 40 orphans", "orphanage");
    expect_exit(status, 0, "orphanage");
    /* Let the last orphans end; by the next process made, all must be gone. */
    for (int tries = 0; tries < 100000 && !all_ended(); tries++)
        thread_yield();
    KT_ASSERT(all_ended(), "orphanage's orphans never ended");
    expect_exit(run1("hello"), 3, "hello after orphanage");
    size_t count = 0, left = 0;
    struct process *table = process_table(&count);
    char listed[160] = "";
    for (size_t i = 0; i < count; i++) {
        if (table[i].state == PROCESS_FREE)
            continue;
        size_t used = strlen(listed);
        if (left++ < 4)
            ksnprintf(listed + used, sizeof(listed) - used, "%s pid %d '%s' (%s%s)",
                      left > 1 ? ";" : "", table[i].pid, table[i].name,
                      table[i].state == PROCESS_ZOMBIE ? "zombie" : "running",
                      table[i].orphan ? ", orphan" : "");
    }
    KT_ASSERT(left == 0,
              "after orphanage and hello ended and were reaped, %zu processes are still in the "
              "table:%s%s. An orphan that has ended must be freed (at the latest when the next "
              "process is made): nobody will wait4 for it",
              left, listed, left > 4 ? "; …" : "");
}

KTEST(execve_replaces_the_program)
{
    int status = run1("execer");
    expect_output("about to exec", "execer");
    expect_output("Hello from hello with 3 arguments", "execer → hello");
    expect_exit(status, 3, "execer (the exit status is hello's)");
}

KTEST(null_dereference_gets_sigsegv)
{
    expect_signal(run1("nullptr"), SIGSEGV, "nullptr");
    expect_exit(run1("hello"), 3, "hello after a crashed process");
}

KTEST(kernel_address_gets_sigsegv)
{
    expect_signal(run1("kernelptr"), SIGSEGV, "kernelptr");
}

KTEST(privileged_instruction_gets_sigsegv)
{
    expect_signal(run1("privileged"), SIGSEGV, "privileged (cli in user mode)");
}

KTEST(noncanonical_jump_gets_sigsegv)
{
    expect_signal(run1("noncanonical"), SIGSEGV, "noncanonical");
}

KTEST(stack_overflow_gets_sigsegv)
{
    expect_signal(run1("stackoverflow"), SIGSEGV, "stackoverflow");
}

KTEST(divide_error_and_illegal_instruction)
{
    expect_signal(run1("divzero"), SIGFPE, "divzero");
    expect_signal(run1("illegal"), SIGILL, "illegal");
}

KTEST(spinning_process_does_not_stop_the_kernel)
{
    lab5_start();
    const char *spin_argv[] = {"spinner", NULL};
    struct process *spinner = process_spawn("spinner", spin_argv);
    KT_ASSERT(spinner, "process_spawn(\"spinner\") failed");
    /* The spinner runs for good (nothing can end it): what it holds is kept
     * on purpose, and the leak check looks at the rest of the test. */
    ktest_memory_baseline();
    expect_exit(run1("hello"), 3, "hello while another process never yields");
}

/* ---- Host-checked tests ------------------------------------------------------
 * The kernel starts a program with arguments drawn from the run's seed and
 * reports, as its answers, the program's lines and how it ended; the grader
 * (grading/test_lab5_user.py) computes what a correct kernel makes the program
 * print for that seed. */

/* Report the captured lines that start with `prefix` (the program's own
 * lines: anything the kernel printed in between is left out). */
static void answer_lines_starting(const char *prefix)
{
    size_t prefix_length = strlen(prefix);
    for (const char *line = run_output; *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        if (length >= prefix_length && strncmp(line, prefix, prefix_length) == 0)
            ktest_answer("%.*s", (int)length, line);
        line += length + (end != NULL);
    }
}

/* How the program ended, as an answer; a program killed by a signal fails
 * the test here, with its output. */
static void answer_ending(const char *name, int status)
{
    KT_ASSERT((status & 0x7f) == 0, "%s: wait status %#x: killed by signal %d. Output:\n%s", name,
              status, status & 0x7f, run_output);
    ktest_answer("%s ended with exit code %d", name, status >> 8);
}

#define FORKSUM_CHILDREN_MAX 6

KTEST(fork_children_return_seeded_results)
{
    uint64_t state = ktest_seed();
    /* At least three, so at least two are waited for by pid. */
    int children = 3 + (int)ktest_random_below(&state, FORKSUM_CHILDREN_MAX - 2);
    static char numbers[FORKSUM_CHILDREN_MAX][12];
    const char *argv[FORKSUM_CHILDREN_MAX + 2] = {"forksum"};
    for (int i = 0; i < children; i++) {
        ksnprintf(numbers[i], sizeof(numbers[i]), "%lu", 1 + ktest_random_below(&state, 99999));
        argv[i + 1] = numbers[i];
    }
    argv[children + 1] = NULL;
    int status = run_program(argv);
    answer_lines_starting("forksum: ");
    answer_ending("forksum", status);
}

#define RELAY_WORDS_MAX 5
#define WORD_MAX        12

KTEST(exec_passes_seeded_arguments)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  " -_.,+=/";
    uint64_t state = ktest_seed();
    int words = 1 + (int)ktest_random_below(&state, RELAY_WORDS_MAX);
    static char text[RELAY_WORDS_MAX][WORD_MAX + 1];
    const char *argv[RELAY_WORDS_MAX + 2] = {"relay"};
    for (int i = 0; i < words; i++) {
        int length = 1 + (int)ktest_random_below(&state, WORD_MAX);
        for (int k = 0; k < length; k++)
            text[i][k] = letters[ktest_random_below(&state, sizeof(letters) - 1)];
        text[i][length] = '\0';
        argv[i + 1] = text[i];
    }
    argv[words + 1] = NULL;
    int status = run_program(argv);
    answer_lines_starting("relay: ");
    answer_lines_starting("argecho: ");
    answer_ending("relay, then argecho", status);
}

/* How long readall gets for a step that takes it milliseconds: at least
 * this many timer ticks (100 Hz once lab5_start ran) and this much time.
 * A busy host merges ticks and QEMU may deliver missed ones in a burst, so
 * the two together only ever wait longer. */
#define READ_STEP_TICKS 200
#define READ_STEP_NS    2000000000ull
/* This test thread's turns in which readall, having read what was typed,
 * must still be waiting: each of them gives it the CPU in between. */
#define READ_WAITING_TURNS 100
/* The two parts of readall's input: a seeded word and a newline, then a
 * seeded word and the end of the input. */
#define READ_WORD_MAX 12
static char read_first[READ_WORD_MAX + 2], read_second[READ_WORD_MAX + 1];

static void seeded_word(uint64_t *state, char *word)
{
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
    size_t length = 1 + ktest_random_below(state, READ_WORD_MAX);
    for (size_t k = 0; k < length; k++)
        word[k] = letters[ktest_random_below(state, sizeof(letters) - 1)];
    word[length] = '\0';
}

static bool input_unread(void)
{
    return console_inject_pending() > 0;
}

/* Give `process` the CPU while it runs (and `more()` holds, unless NULL),
 * for at most one step (READ_STEP_TICKS and READ_STEP_NS). */
static void let_run(struct process *process, bool (*more)(void))
{
    uint64_t first = trap_dispatch_count(TIMER_VECTOR), start = time_ns();
    while (process->state == PROCESS_RUNNING && (!more || more()) &&
           (trap_dispatch_count(TIMER_VECTOR) - first < READ_STEP_TICKS ||
            time_ns() - start < READ_STEP_NS))
        thread_yield();
}

static void fail_reading(const char *why)
{
    console_capture_end();
    console_inject_clear();
    KT_FAIL("readall (its input: \"%s\", then \"%s\" and the end): %s. Output so far:\n%s",
            read_first, read_second, why, run_output);
}

KTEST(read_returns_input_then_end_of_file)
{
    /* Typed in two parts: between them read() must wait (more can come);
     * after the second the input ends, as a file's does. */
    uint64_t state = ktest_seed();
    seeded_word(&state, read_first);
    size_t first_length = strlen(read_first);
    read_first[first_length] = '\n';
    read_first[first_length + 1] = '\0';
    seeded_word(&state, read_second);
    console_inject_clear();
    console_inject_input(read_first, strlen(read_first));
    const char *argv[] = {"readall", NULL};
    struct process *process = start_program(argv);
    let_run(process, input_unread);
    if (process->state == PROCESS_RUNNING && console_inject_pending() > 0)
        fail_reading("it had not read the first part of its input after a few seconds: "
                     "read(0, ...) must return the bytes console_getc() gives");
    for (int turn = 0; turn < READ_WAITING_TURNS && process->state == PROCESS_RUNNING; turn++)
        thread_yield();
    if (process->state != PROCESS_RUNNING)
        fail_reading("it ended after reading the first part, while more input could still come: "
                     "read() must wait for the next byte (console_getc, giving the CPU up while "
                     "none is there), and return 0 only once console_input_ended() says no byte "
                     "can ever come");
    console_inject_input(read_second, strlen(read_second));
    console_inject_end();
    let_run(process, NULL);
    if (process->state == PROCESS_RUNNING) {
        if (console_input_ended())
            fail_reading("it read all its input, and a few seconds after the input ended it "
                         "still had not ended: once console_input_ended() is true, read() must "
                         "return 0 (end of file) at once, not wait for input that can never "
                         "come");
        fail_reading("it had not read the second part of its input after a few seconds: "
                     "read(0, ...) must return the bytes console_getc() gives");
    }
    int status = finish_program(process);
    console_inject_clear();
    answer_lines_starting("readall: ");
    answer_ending("readall", status);
}
