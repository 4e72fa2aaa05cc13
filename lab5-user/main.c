/* Lab 5's kernel: run programs from the boot archive, each in its own
 * process, one after the other: those named on the command line as
 * keel.run=a,b,… or, without it, "hello". Each gets its name as argv[0];
 * its standard input is the serial console (your sys_read). After each one
 * the kernel prints its wait status.
 *
 * tools/keel-run and `make run` in a lab 5 handout boot this kernel with
 * keel.run=PROGRAM and the program's arguments in the boot file "run.args"
 * (each followed by a NUL byte). With that file the program gets those
 * arguments, the kernel prints nothing of its own (what you see is the
 * program's output, as on Linux) and powers off with the program's exit
 * status, 128 + the signal if it was killed. You do not need to change
 * this file. */
#include <lab.h>

#include "lab5.h"

#define MAX_ARGS 64

/* Statuses of a program that never started, as a shell's. */
enum { CANNOT_EXECUTE = 126, NOT_FOUND = 127 };

/* Run `name` with `argv` and return its wait status, or -1 (said why) if it
 * did not start. */
static int run(const char *name, const char **argv)
{
    if (!programs_find(name)) {
        kprintf("no program '%s' in the boot archive\n", name);
        return -NOT_FOUND;
    }
    struct process *process = process_spawn(name, argv);
    if (!process) {
        kprintf("could not start '%s' (is process_spawn written?)\n", name);
        return -CANNOT_EXECUTE;
    }
    return process_wait(process);
}

/* argv for `name`: the name, then the strings of run.args (if the archive
 * holds it), then NULL. */
static void arguments(const char *name, const char **argv)
{
    const struct program_file *args = programs_find("run.args");
    size_t argc = 0;
    argv[argc++] = name;
    const char *text = args ? args->data : NULL;
    for (size_t at = 0; args && at < args->size && argc < MAX_ARGS; argc++) {
        argv[argc] = text + at;
        at += strnlen(text + at, args->size - at) + 1;
    }
    argv[argc] = NULL;
}

void lab_main(const struct boot_info *info)
{
    (void)info;
    lab5_start();
    char names[256] = "hello";
    cmdline_get("keel.run", names, sizeof(names));
    /* keel-run's run: its program and arguments, its exit status. */
    bool tool_run = programs_find("run.args") != NULL;
    if (!tool_run)
        kprintf("%zu programs in the boot archive.\n", programs_count());
    int status = 0;
    for (char *name = names, *next; name; name = next) {
        next = strchr(name, ',');
        if (next)
            *next++ = '\0';
        if (!*name)
            continue;
        const char *argv[MAX_ARGS + 1];
        arguments(name, argv);
        status = run(name, argv);
        if (status >= 0 && !tool_run)
            kprintf("'%s' ended with wait status %#x\n", name, status);
    }
    if (tool_run)
        kernel_power_off(status < 0      ? -status
                         : status & 0x7f ? 128 + (status & 0x7f)
                                         : (status >> 8) & 0xff);
}
