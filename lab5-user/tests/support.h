/* What lab 5's tests share (test_user.c, test_vm.c). */
#ifndef LAB5_TEST_SUPPORT_H
#define LAB5_TEST_SUPPORT_H

#include "../lab5.h"

/* What the last program run printed (and the kernel with it), and its wait
 * status. */
extern char run_output[4096];
extern int run_status;

/* Run `argv[0]` from the boot archive as a process to its end, capturing
 * its output in run_output; its wait status (also in run_status). Fails the
 * test if the archive has no such program or process_spawn fails. */
int run_program(const char *const argv[]);

/* run_program in two halves, for a test that watches the process while it
 * runs: start_program spawns it with output captured (failing the test as
 * run_program does), finish_program waits for it and ends the capture. */
struct process *start_program(const char *const argv[]);
int finish_program(struct process *process);

#endif
