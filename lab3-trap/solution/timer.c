/* Lab 3, part 2: timer ticks and serial input by interrupt. (Reference
 * solution.) */
#include "lab3.h"

#define UART_DATA          0
#define UART_INTERRUPTS    1
#define UART_MODEM_CONTROL 4
#define UART_LINE_STATUS   5
#define LSR_DATA_READY     0x01
#define IER_RECEIVED_DATA  0x01
#define MCR_OUT2           0x08

static volatile uint64_t ticks;
static uint16_t serial_base;

bool timer_handler(struct trap_frame *frame)
{
    profile_tick(frame);
    ticks++;
    interrupt_eoi();
    return true;
}

uint64_t timer_ticks(void)
{
    return ticks;
}

uint64_t uptime_ms(void)
{
    unsigned hz = timer_hz();
    return hz ? ticks * 1000 / hz : 0;
}

void serial_interrupts_enable(uint16_t base)
{
    serial_base = base;
    io_out8(base + UART_MODEM_CONTROL, (uint8_t)(io_in8(base + UART_MODEM_CONTROL) | MCR_OUT2));
    io_out8(base + UART_INTERRUPTS, IER_RECEIVED_DATA);
    irq_unmask(ISA_IRQ_COM1);
}

bool serial_interrupt_handler(struct trap_frame *frame)
{
    (void)frame;
    while (io_in8(serial_base + UART_LINE_STATUS) & LSR_DATA_READY) {
        char byte = (char)io_in8(serial_base + UART_DATA);
        console_inject_input(&byte, 1);
    }
    interrupt_eoi();
    return true;
}
