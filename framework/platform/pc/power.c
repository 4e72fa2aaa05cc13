/* Ending a run on a PC or an emulator of one: power off (QEMU's debug-exit
 * device, Bochs's shutdown port, ACPI) or reset. */
#include <keel/cpu.h>
#include <keel/io.h>
#include <keel/testing.h>

#include "../../core/internal.h"

#define QEMU_DEBUG_EXIT_PORT  0xf4 /* -device isa-debug-exit,iobase=0xf4 */
#define BOCHS_SHUTDOWN_PORT   0x8900
#define QEMU_Q35_PM1A_CONTROL 0x604 /* ACPI sleep control on QEMU's machines */
#define ACPI_SLEEP_S5         0x2000

void platform_power_off(int status)
{
    cpu_irq_disable();
    io_mock_remove();
    /* QEMU with isa-debug-exit ends here with exit code (status << 1) | 1. */
    io_out32(QEMU_DEBUG_EXIT_PORT, (uint32_t)status);
    /* Bochs ends when "Shutdown" is written to its shutdown port. */
    for (const char *p = "Shutdown"; *p; p++)
        io_out8(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
    /* QEMU without isa-debug-exit: ACPI soft-off. */
    io_out16(QEMU_Q35_PM1A_CONTROL, ACPI_SLEEP_S5);
    console_early_write_str("\nKeel: could not power off; halted. It is safe to turn the "
                            "machine off.\n");
    cpu_halt_forever();
}

void platform_reboot(void)
{
    cpu_irq_disable();
    io_mock_remove();
    /* Pulse the reset line through the keyboard controller. */
    for (int tries = 0; tries < 1000 && (io_in8(0x64) & 0x02); tries++)
        io_wait();
    io_out8(0x64, 0xfe);
    for (int i = 0; i < 1000; i++)
        io_wait();
    /* Still here: force a triple fault with an empty interrupt table. */
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } empty = {0, 0};
    __asm__ volatile("lidt %0; int3" ::"m"(empty));
    cpu_halt_forever();
}
