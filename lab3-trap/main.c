/* Lab 3's kernel: your trap handlers installed, the timer running, and the
 * lab 1 monitor reading the keyboard through your serial interrupt handler.
 * You do not need to change this file. */
#include <lab.h>
#include <lab1.h>
#include <lab2.h>

#include "lab3.h"

static struct serial_port com1;

void lab_main(const struct boot_info *info)
{
    (void)info;
    frame_allocator_install(&buddy_allocator);
    page_table_ops_install(&lab2_page_tables);
    serial_init(&com1, COM1_BASE, UART_MAX_BAUD);
    serial_console_register(&com1);
    /* Output through the lab 1 driver; input only through your interrupt
     * handler, so typing works only once that handler does. */
    com1.console.read_char = NULL;

    lab3_install();
    serial_interrupts_enable(COM1_BASE);
    timer_start(100);
    cpu_irq_enable();
    time_delay_us(50000);
    kprintf("\nLab 3 kernel: %lu timer ticks in the first 50 ms, uptime %lu ms.\n", timer_ticks(),
            uptime_ms());
    kprintf("Typing works once your serial interrupt handler does.\n");
    monitor_run();
}
