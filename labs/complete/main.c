/* The complete kernel: every lab's reference solution working together.
 * Without keel.run it starts the shell (and again whenever it exits); with
 * keel.run=NAME it runs that program from the boot archive and powers off
 * with its exit status (128 + signal if it was killed): what `make run` and
 * tools/keel-run use. The program's arguments come in the boot file
 * "run.args", each one followed by a NUL byte (so any byte but NUL, empty
 * ones too, and as many as fit); its standard input in "run.stdin" when
 * the host's is not a terminal (files.c). */
#include <keel/protocol.h>
#include <lab.h>
#include <lab1.h>
#include <lab2.h>
#include <lab3.h>
#include <lab5.h>

#include "complete.h"

static struct serial_port com1;

/* Statuses of a run that never started its program, as a shell's. */
enum { CANNOT_EXECUTE = 126, NOT_FOUND = 127 };

/* End the run without starting the program: why, for tools/keel-run to
 * print on stderr (a frame, so it never mixes with the program's output). */
static char why[256];

static KEEL_NORETURN void refuse(int status)
{
    protocol_emit("RUNERROR", "%s", why);
    kernel_power_off(status);
}

static KEEL_NORETURN void run_once(const char *name)
{
    const struct program_file *program = programs_find(name);
    if (!program) {
        ksnprintf(why, sizeof(why), "cannot run '%s': no such program in the boot archive", name);
        refuse(NOT_FOUND);
    }
    if (program->size < 4 || memcmp(program->data, "\x7f\x45\x4c\x46", 4) != 0) {
        ksnprintf(why, sizeof(why), "cannot run '%s': not an ELF executable", name);
        refuse(CANNOT_EXECUTE);
    }
    /* argv[0] is the name, then every NUL-terminated string of run.args,
     * used where the archive holds them. */
    const struct program_file *args = programs_find("run.args");
    const char *text = args ? args->data : NULL;
    size_t size = args ? args->size : 0, argc = 1, bytes = strlen(name) + 1;
    if (size > 0 && text[size - 1] != '\0') {
        ksnprintf(why, sizeof(why), "cannot run '%s': run.args does not end with a NUL byte", name);
        refuse(CANNOT_EXECUTE);
    }
    for (size_t i = 0; i < size; i++)
        argc += text[i] == '\0';
    bytes += size;
    const char **argv = kmalloc((argc + 1) * sizeof(*argv));
    if (!argv) {
        ksnprintf(why, sizeof(why), "cannot run '%s': no memory for %zu arguments (%zu bytes)",
                  name, argc, bytes);
        refuse(CANNOT_EXECUTE);
    }
    argv[0] = name;
    for (size_t i = 1, at = 0; i < argc; i++) {
        argv[i] = text + at;
        at += strlen(text + at) + 1;
    }
    argv[argc] = NULL;
    files_run_mode(programs_find("run.stdin"));
    struct process *process = process_spawn(name, argv);
    if (!process) {
        ksnprintf(why, sizeof(why),
                  "cannot run '%s' with %zu arguments (%zu bytes): Argument list too long "
                  "(E2BIG) for this kernel (lab 5's stack_setup), or out of memory",
                  name, argc, bytes);
        refuse(CANNOT_EXECUTE);
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
        if (console_input_ended()) { /* another shell would read end of file at once */
            kprintf("keel: the shell exited at the end of its input; powering off\n");
            kernel_power_off(KEEL_EXIT_SUCCESS);
        }
        kprintf("keel: the shell exited; starting another\n");
    }
}
