/* The complete kernel: every lab's reference solution working together.
 * Without keel.run it starts the shell (and again whenever it exits); with
 * keel.run=NAME it runs that program from the boot archive, with the
 * arguments in the boot file "run.args" (one per line), and powers off with
 * its exit status (128 + signal if it was killed): what `make run` uses. */
#include <lab.h>
#include <lab1.h>
#include <lab2.h>
#include <lab3.h>
#include <lab5.h>

#include "complete.h"

#define MAX_ARGS 16

static struct serial_port com1;

static KEEL_NORETURN void run_once(const char *name)
{
    static char copy[1024];
    const char *argv[MAX_ARGS + 1] = {name};
    int argc = 1;
    const struct program_file *args = programs_find("run.args");
    if (args && args->size < sizeof(copy)) {
        memcpy(copy, args->data, args->size);
        copy[args->size] = '\0';
        for (char *p = copy; *p && argc < MAX_ARGS;) {
            argv[argc++] = p;
            char *end = strchr(p, '\n');
            if (!end)
                break;
            *end = '\0';
            p = end + 1;
        }
    }
    argv[argc] = NULL;
    struct process *process = process_spawn(name, argv);
    if (!process) {
        kprintf("keel: cannot run '%s': not a static x86_64 executable?\n", name);
        kernel_power_off(127);
    }
    int status = process_wait(process);
    kernel_power_off(status & 0x7f ? 128 + (status & 0x7f) : (status >> 8) & 0xff);
}

void lab_main(const struct boot_info *info)
{
    serial_init(&com1, COM1_BASE, UART_MAX_BAUD);
    serial_console_register(&com1);
    com1.console.read_char = NULL; /* input arrives by interrupt (lab 3) */
    lab3_install();
    serial_interrupts_enable(COM1_BASE);
    lab5_start(); /* lab 2 memory, lab 4 scheduler, lab 5 processes */
    files_install();

    char name[PROGRAM_NAME_MAX];
    if (cmdline_get("keel.run", name, sizeof(name)))
        run_once(name);

    kprintf("\nWelcome to Keel. Booted by %s; %lu MiB usable; %zu programs.\n", info->loader,
            (unsigned long)(info->usable_bytes >> 20), programs_count());
    for (;;) {
        const char *argv[] = {"sh", NULL};
        struct process *shell = process_spawn("sh", argv);
        if (!shell) {
            kprintf("keel: no shell in the boot archive; running the lab 1 monitor instead\n");
            com1.console.read_char = NULL;
            monitor_run();
        }
        process_wait(shell);
        kprintf("keel: the shell exited; starting another\n");
    }
}
