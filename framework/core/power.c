/* Ending a run (see <keel/power.h>): tell the grader, then the platform. */
#include <keel/power.h>
#include <keel/protocol.h>

#include "internal.h"

void kernel_power_off(int status)
{
    protocol_emit("EXIT", "%d", status);
    platform_power_off(status);
}

void kernel_reboot(void)
{
    console_early_write_str("\nKeel: rebooting\n");
    platform_reboot();
}
