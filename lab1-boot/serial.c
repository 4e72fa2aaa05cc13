/* Lab 1, part 1: a polled driver for the 16550 UART.
 *
 * Until you finish this file, the framework's own early console keeps
 * printing for you, so kprintf works from the start. Read "Part 1" of
 * lab1-boot/README.md for the registers. Tests: make grade LAB=lab1-boot. */
#include "lab1.h"

void serial_init(struct serial_port *port, uint16_t base, uint32_t baud)
{
    port->base = base;
    (void)baud;
    /* TODO(lab1): program the UART, in this order:
     *   1. turn off its interrupts (IER, offset 1, = 0);
     *   2. set the divisor latch access bit (LCR bit 7) and write the divisor
     *      UART_MAX_BAUD / baud: low byte at offset 0, high byte at offset 1;
     *   3. write LCR = 0x03 (8 data bits, no parity, 1 stop bit; this also
     *      clears DLAB);
     *   4. enable and clear the FIFOs (FCR, offset 2);
     *   5. set DTR, RTS and OUT2 in the modem control register (offset 4).
     * Use io_out8(base + offset, value). */
}

void serial_putc(struct serial_port *port, char c)
{
    (void)port;
    (void)c;
    /* TODO(lab1): wait until the line status register (offset 5) has bit 5
     * set (transmit holding register empty), then write the byte to offset 0.
     * Send '\n' as '\r' followed by '\n'. */
}

int serial_getc(struct serial_port *port)
{
    (void)port;
    /* TODO(lab1): if line status bit 0 (data ready) is set, read and return
     * the byte at offset 0; otherwise return -1 at once. */
    return -1;
}

void serial_console_register(struct serial_port *port)
{
    (void)port;
    /* TODO(lab1): fill in port->console (see struct console in
     * <keel/console.h>): a write function that calls serial_putc for each
     * byte, a read_char function that calls serial_getc, the flag
     * CONSOLE_REPLACES_EARLY, and priv = port so your functions can find the
     * port. Then console_register(&port->console). */
}
