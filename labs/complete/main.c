/* The complete kernel: every lab's reference solution working together. */
#include <lab.h>
#include <lab1.h>
#include <lab2.h>
#include <lab3.h>

static struct serial_port com1;

void lab_main(const struct boot_info *info)
{
    frame_allocator_install(&buddy_allocator);
    page_table_ops_install(&lab2_page_tables);
    serial_init(&com1, COM1_BASE, UART_MAX_BAUD);
    serial_console_register(&com1);
    com1.console.read_char = NULL; /* input arrives by interrupt (lab 3) */
    lab3_install();
    serial_interrupts_enable(COM1_BASE);
    timer_start(100);
    cpu_irq_enable();
    kprintf("\nWelcome to Keel. Booted by %s.\n\nMemory map:\n", info->loader);
    memmap_print(info->multiboot2);
    kprintf("Frame allocator: %s, %lu frames free.\n", frame_allocator_current()->name,
            frame_free_count());
    monitor_run();
}
