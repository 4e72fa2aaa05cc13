/* What lab 5's tests share: see support.h. */
#include <keel/programs.h>
#include <keel/testing.h>
#include <ktest.h>

#include "support.h"

char run_output[4096];
int run_status;

struct process *start_program(const char *const argv[])
{
    lab5_start();
    KT_ASSERT(programs_find(argv[0]), "the boot archive has no '%s'", argv[0]);
    KT_ASSERT(console_capture_begin(run_output, sizeof(run_output)), "capture");
    struct process *process = process_spawn(argv[0], argv);
    if (!process) {
        console_capture_end();
        KT_FAIL("process_spawn(\"%s\") failed", argv[0]);
    }
    return process;
}

int finish_program(struct process *process)
{
    run_status = process_wait(process);
    console_capture_end();
    return run_status;
}

int run_program(const char *const argv[])
{
    return finish_program(start_program(argv));
}
