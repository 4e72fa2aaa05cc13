/* Lab 5's kernel: run the program "hello" from the boot archive, then every
 * program named keel.run=a,b,… on the command line. You do not need to
 * change this file. */
#include <lab.h>

#include "lab5.h"

static void run(const char *name)
{
    const char *argv[] = {name, NULL};
    struct process *process = process_spawn(name, argv);
    if (!process) {
        kprintf("could not start '%s' (is process_spawn written?)\n", name);
        return;
    }
    int status = process_wait(process);
    kprintf("'%s' ended with wait status %#x\n", name, status);
}

void lab_main(const struct boot_info *info)
{
    (void)info;
    lab5_start();
    kprintf("%zu programs in the boot archive.\n", programs_count());
    run("hello");
}
