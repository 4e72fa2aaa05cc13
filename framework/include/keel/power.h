/* Ending a run: power off with a status the test harness can read, or reboot. */
#ifndef KEEL_POWER_H
#define KEEL_POWER_H

#include <keel/types.h>

/* Exit statuses. Under QEMU the process exit code is (status << 1) | 1 because
 * of how isa-debug-exit works; under Bochs the status travels in the serial
 * output ("@@keel:...:EXIT:n"). */
enum keel_exit_status {
    KEEL_EXIT_SUCCESS = 0,
    KEEL_EXIT_TESTS_FAILED = 1,
    KEEL_EXIT_PANIC = 2,
    KEEL_EXIT_EXCEPTION = 3,
};

/* Stop the machine, reporting `status` to whoever runs it (QEMU's
 * isa-debug-exit, Bochs's shutdown port). If neither is present, halts the
 * CPU forever. Any context. */
KEEL_NORETURN void kernel_power_off(int status);

/* Reset the machine (keyboard controller pulse, then a triple fault as the last
 * resort). Under the graders QEMU runs with -no-reboot, so this ends the run.
 * Any context. */
KEEL_NORETURN void kernel_reboot(void);

#endif
