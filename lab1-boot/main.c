/* Lab 1's kernel: bring up the serial console, show the memory map, run the
 * monitor. (With keel.test=… on the command line, the in-kernel tests run
 * instead and the machine powers off before this.) You do not need to change
 * this file. */
#include <lab.h>

#include "lab1.h"

static struct serial_port com1;

void lab_main(const struct boot_info *info)
{
    serial_init(&com1, COM1_BASE, UART_MAX_BAUD);
    serial_console_register(&com1);
    kprintf("\nWelcome to Keel. Booted by %s.\n\nMemory map:\n", info->loader);
    memmap_print(info->multiboot2);
    monitor_run();
}
