/* Lab 3 tests, part 2: what serial_interrupts_enable writes to the UART,
 * seen through a pretend 16550 (QEMU's UART raises its interrupt whatever
 * the modem-control register says, so only the register writes show a
 * missing OUT2 there). */
#include <keel/testing.h>
#include <ktest.h>

#include "../lab3.h"

/* COM2's ports: nothing else uses them, and the console stays on COM1. */
#define PRETEND_BASE       0x2f8
#define UART_INTERRUPTS    1
#define UART_MODEM_CONTROL 4
#define UART_LINE_STATUS   5
#define MCR_OUT2           0x08

static uint8_t registers[8];

static uint32_t pretend_read(struct io_mock *mock, uint16_t port, int width)
{
    (void)mock, (void)width;
    return registers[port - PRETEND_BASE];
}

static void pretend_write(struct io_mock *mock, uint16_t port, int width, uint32_t value)
{
    (void)mock, (void)width;
    registers[port - PRETEND_BASE] = (uint8_t)value;
}

/* The UART starts as after a reset of its modem-control register with DTR
 * and RTS set (0x03): OUT2, which connects the UART's interrupt output to
 * the interrupt controller on a PC, is clear. */
KTEST(serial_interrupts_enable_sets_out2)
{
    static struct io_mock pretend = {
        .base = PRETEND_BASE, .count = 8, .read = pretend_read, .write = pretend_write};
    memset(registers, 0, sizeof(registers));
    registers[UART_MODEM_CONTROL] = 0x03;
    registers[UART_LINE_STATUS] = 0x60; /* transmitter idle, nothing received */
    io_mock_install(&pretend);
    serial_interrupts_enable(PRETEND_BASE);
    io_mock_remove();
    irq_mask(ISA_IRQ_COM1);
    uint8_t mcr = registers[UART_MODEM_CONTROL], ier = registers[UART_INTERRUPTS];
    KT_ASSERT(mcr & MCR_OUT2,
              "serial_interrupts_enable left OUT2 (bit 3 of the modem-control register, base + 4) "
              "clear (it is %#x): on a real PC the UART's interrupt line then stays disconnected "
              "and no serial interrupt ever arrives. Set OUT2 (keep the other bits)",
              mcr);
    KT_ASSERT(ier & 0x01,
              "serial_interrupts_enable left bit 0 of the interrupt-enable register (base + 1) "
              "clear (it is %#x): the UART does not interrupt when a byte arrives",
              ier);
}
