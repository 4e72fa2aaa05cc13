/* The end of a run on the Linux platform: the process exits with the codes
 * a PC under QEMU would give (power off, platform_power_off), or with one of
 * its own for a reset (platform_reboot), after putting the terminal back and
 * ending the user-mode children. */
#include <unistd.h>

#include <keel/cpu.h>

#include "../../core/internal.h"
#include "linux.h"

void linux_exit(int status)
{
    linux_terminal_restore();
    linux_user_end_all();
    _exit((status << 1) | 1);
}

void platform_power_off(int status)
{
    cpu_irq_disable();
    linux_exit(status);
}

/* A PC under the graders' QEMU (-no-reboot) stops at a reset; so does this,
 * with an exit code of its own (power-off codes are odd). */
void platform_reboot(void)
{
    cpu_irq_disable();
    static const char said[] = "\r\n[the machine reset: on the Linux platform the run ends "
                               "here]\r\n";
    linux_console_write(said, sizeof(said) - 1);
    linux_terminal_restore();
    _exit(LINUX_EXIT_RESET);
}
