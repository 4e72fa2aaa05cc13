/* Lab 3, part 2: timer ticks and serial input by interrupt. Read "Part 2" of
 * lab3-trap/README.md. */
#include "lab3.h"

bool timer_handler(struct trap_frame *frame)
{
    (void)frame;
    /* TODO(lab3): count the tick and acknowledge it (interrupt_eoi).
     * Challenge part: call profile_tick(frame) first. */
    return true;
}

uint64_t timer_ticks(void)
{
    /* TODO(lab3) */
    return 0;
}

uint64_t uptime_ms(void)
{
    /* TODO(lab3): ticks * 1000 / timer_hz(), 0 if the timer is stopped. */
    return 0;
}

void serial_interrupts_enable(uint16_t base)
{
    (void)base;
    /* TODO(lab3): IER bit 0, set MCR OUT2 (keep MCR's other bits), irq_unmask(ISA_IRQ_COM1). */
}

bool serial_interrupt_handler(struct trap_frame *frame)
{
    (void)frame;
    /* TODO(lab3): while LSR says data is ready, read a byte and
     * console_inject_input it; then interrupt_eoi. */
    return true;
}
