/* Lab 5 tests: bundled programs (lab5-user/programs, static musl
 * binaries from the boot archive) run as processes; hostile ones are killed
 * with the right signal and the kernel carries on. */
#include <ktest.h>

#include "../lab5.h"

#define SIGILL  4
#define SIGFPE  8
#define SIGSEGV 11

static char output[4096];

/* Run `argv[0]` to the end; its output (and the kernel's) lands in `output`. */
static int run(const char *const argv[])
{
    lab5_start();
    KT_ASSERT(programs_find(argv[0]), "the boot archive has no '%s'", argv[0]);
    KT_ASSERT(console_capture_begin(output, sizeof(output)), "capture");
    struct process *process = process_spawn(argv[0], argv);
    if (!process) {
        console_capture_end();
        KT_FAIL("process_spawn(\"%s\") failed", argv[0]);
    }
    int status = process_wait(process);
    console_capture_end();
    return status;
}

static int run1(const char *name)
{
    const char *argv[] = {name, NULL};
    return run(argv);
}

static void expect_output(const char *text, const char *what)
{
    KT_ASSERT(strstr(output, text), "%s: expected \"%s\" in the output:\n%s", what, text, output);
}

static void expect_exit(int status, int code, const char *what)
{
    KT_ASSERT(status == code << 8,
              "%s: wait status %#x; expected exit code %d (status %#x). Output:\n%s", what, status,
              code, code << 8, output);
}

static void expect_signal(int status, int signal, const char *what)
{
    KT_ASSERT(status == signal,
              "%s: wait status %#x; expected to be killed by signal %d. Output:\n%s", what, status,
              signal, output);
}

KTEST(elf_runs_printf_program)
{
    const char *argv[] = {"hello", "one", "two", NULL};
    int status = run(argv);
    expect_output("Hello from hello with 3 arguments", "hello");
    expect_exit(status, 3, "hello");
}

KTEST(stack_holds_argv_and_envp)
{
    const char *argv[] = {"args", "first", "second argument", NULL};
    int status = run(argv);
    expect_output("argv[0]=args\nargv[1]=first\nargv[2]=second argument\n", "args");
    expect_output("HOME=/", "args (environment)");
    expect_exit(status, 0, "args");
}

KTEST(bad_pointers_get_efault)
{
    int status = run1("badptr");
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
    expect_exit(run1("hello"), 3, "hello while another process never yields");
}
