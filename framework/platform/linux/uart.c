/* The devices behind the I/O ports on the Linux platform:
 *   0x3f8-0x3ff  a 16550 UART (COM1) whose line is the terminal: what the
 *                kernel transmits goes to standard output, what arrives on
 *                standard input is received; loopback mode, the FIFO, the
 *                divisor latch and the interrupt on received data work as
 *                the lab 1 and lab 3 drivers expect
 *   0xf4         QEMU's isa-debug-exit: ends the process
 *   0x8900       Bochs's shutdown port, 0x604 ACPI soft-off: end it too
 *   0x64         the keyboard controller's reset command: a reboot
 * Every other port reads as all ones (nothing there) and ignores writes.
 * The framework's early console writes through the same UART. (The
 * terminal's raw mode is terminal.c's, the end of a run power.c's.) */
#include <poll.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

#include <keel/cpu.h>
#include <keel/interrupt.h>
#include <keel/io.h>
#include <keel/power.h>

#include "../../core/internal.h"
#include "linux.h"

#define COM1       0x3f8
#define FIFO_BYTES 16

enum { IER_RECEIVED = 0x01, IER_TRANSMIT_EMPTY = 0x02 };
enum { MCR_OUT2 = 0x08, MCR_LOOPBACK = 0x10 };
enum { LCR_DLAB = 0x80 };
enum { LSR_DATA_READY = 0x01, LSR_IDLE = 0x60 };

static struct {
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    uint8_t rx[FIFO_BYTES];
    unsigned rx_head, rx_count;
    bool line_asserted, transmit_interrupt_pending;
} uart = {.dll = 1};

static bool stdin_closed;

void linux_console_write(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t written = write(STDOUT_FILENO, buf, len);
        if (written <= 0)
            return; /* nobody is reading any more */
        buf += written;
        len -= (size_t)written;
    }
}

bool linux_stdin_open(void)
{
    return !stdin_closed;
}

/* The UART's interrupt output, through OUT2 to ISA line 4: an edge raises
 * the vector, as the I/O APIC's edge-triggered input would. */
static void update_line(void)
{
    bool asserted = (uart.mcr & MCR_OUT2) &&
                    (((uart.ier & IER_RECEIVED) && uart.rx_count > 0) ||
                     ((uart.ier & IER_TRANSMIT_EMPTY) && uart.transmit_interrupt_pending));
    bool edge = asserted && !uart.line_asserted;
    uart.line_asserted = asserted;
    if (edge && linux_irq_line_unmasked(ISA_IRQ_COM1)) {
        linux_irq_raise(irq_vector(ISA_IRQ_COM1));
        linux_irq_check();
    }
}

static void receive(uint8_t byte)
{
    if (uart.rx_count < FIFO_BYTES) {
        uart.rx[(uart.rx_head + uart.rx_count) % FIFO_BYTES] = byte;
        uart.rx_count++;
    }
}

void linux_uart_poll_input(void)
{
    /* Only as much as the FIFO holds: the rest waits in the pipe, as QEMU's
     * serial back end waits for the guest. */
    while (!stdin_closed && !(uart.mcr & MCR_LOOPBACK) && uart.rx_count < FIFO_BYTES) {
        struct pollfd input = {.fd = STDIN_FILENO, .events = POLLIN};
        if (poll(&input, 1, 0) <= 0)
            break;
        uint8_t byte;
        if (read(STDIN_FILENO, &byte, 1) != 1) {
            stdin_closed = true;
            break;
        }
        receive(byte);
    }
    update_line();
}

static uint8_t uart_read(unsigned offset)
{
    if ((uart.lcr & LCR_DLAB) && offset <= 1)
        return offset == 0 ? uart.dll : uart.dlm;
    switch (offset) {
    case 0: {
        linux_uart_poll_input();
        if (uart.rx_count == 0)
            return 0;
        uint8_t byte = uart.rx[uart.rx_head];
        uart.rx_head = (uart.rx_head + 1) % FIFO_BYTES;
        uart.rx_count--;
        update_line();
        return byte;
    }
    case 1:
        return uart.ier;
    case 2: { /* IIR: received data first, then transmitter empty */
        uint8_t fifo = (uart.fcr & 1) ? 0xc0 : 0;
        if ((uart.ier & IER_RECEIVED) && uart.rx_count > 0)
            return fifo | 0x04;
        if ((uart.ier & IER_TRANSMIT_EMPTY) && uart.transmit_interrupt_pending) {
            uart.transmit_interrupt_pending = false;
            update_line();
            return fifo | 0x02;
        }
        return fifo | 0x01;
    }
    case 3:
        return uart.lcr;
    case 4:
        return uart.mcr;
    case 5:
        linux_uart_poll_input();
        return LSR_IDLE | (uart.rx_count > 0 ? LSR_DATA_READY : 0);
    case 6: /* MSR: in loopback the outputs come back as inputs */
        if (uart.mcr & MCR_LOOPBACK)
            return (uint8_t)(((uart.mcr & 0x01) << 5) | ((uart.mcr & 0x02) << 3) |
                             ((uart.mcr & 0x04) << 4) | ((uart.mcr & 0x08) << 4));
        return 0xb0; /* carrier, data set ready, clear to send */
    default:
        return uart.scr;
    }
}

static void uart_write(unsigned offset, uint8_t value)
{
    if ((uart.lcr & LCR_DLAB) && offset <= 1) {
        *(offset == 0 ? &uart.dll : &uart.dlm) = value;
        return;
    }
    switch (offset) {
    case 0:
        if (uart.mcr & MCR_LOOPBACK)
            receive(value);
        else
            linux_console_write((const char *)&value, 1);
        uart.transmit_interrupt_pending = true;
        break;
    case 1:
        uart.ier = value & 0x0f;
        uart.transmit_interrupt_pending = true;
        break;
    case 2:
        uart.fcr = value;
        if (value & 0x02)
            uart.rx_count = 0;
        break;
    case 3:
        uart.lcr = value;
        break;
    case 4:
        uart.mcr = value & 0x1f;
        break;
    case 7:
        uart.scr = value;
        break;
    default:
        break;
    }
    update_line();
}

uint32_t platform_port_read(uint16_t port, int width)
{
    if (port >= COM1 && port < COM1 + 8 && width == 1)
        return uart_read(port - COM1);
    return width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffffu;
}

void platform_port_write(uint16_t port, int width, uint32_t value)
{
    if (port >= COM1 && port < COM1 + 8 && width == 1)
        uart_write(port - COM1, (uint8_t)value);
    else if (port == 0xf4)
        linux_exit((int)value);
    else if (port == 0x604 || (port == 0x8900 && value == 'S'))
        linux_exit(KEEL_EXIT_SUCCESS);
    else if (port == 0x64 && value == 0xfe)
        platform_reboot();
}

bool platform_console_input_ended(void)
{
    linux_uart_poll_input();
    return stdin_closed && uart.rx_count == 0;
}

/* ---- the early console ---------------------------------------------------------- */

void platform_early_console_init(void)
{
    uart.lcr = 0x03;
    uart.mcr = 0x0b;
}

void platform_early_console_write(const char *buf, size_t len)
{
    /* As the PC's early console: newlines go out as CR LF; one write per
     * piece of text instead of one per byte. */
    char out[256];
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        if (used + 2 > sizeof(out)) {
            linux_console_write(out, used);
            used = 0;
        }
        if (buf[i] == '\n')
            out[used++] = '\r';
        out[used++] = buf[i];
    }
    linux_console_write(out, used);
}

int platform_early_console_read(void)
{
    linux_uart_poll_input();
    if (uart.rx_count == 0)
        return -1;
    return uart_read(0);
}
