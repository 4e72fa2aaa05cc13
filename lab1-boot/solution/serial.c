/* Lab 1, part 1: a polled driver for the 16550 UART. (Reference solution.) */
#include "lab1.h"

/* Register offsets from the base address. Offsets 0 and 1 mean something
 * else while the divisor latch access bit (LCR bit 7) is set. */
#define UART_DATA          0 /* receive buffer (read) / transmit holding (write) */
#define UART_DIVISOR_LOW   0 /* with DLAB set */
#define UART_INTERRUPTS    1 /* interrupt enable */
#define UART_DIVISOR_HIGH  1 /* with DLAB set */
#define UART_FIFO_CONTROL  2 /* write only */
#define UART_LINE_CONTROL  3
#define UART_MODEM_CONTROL 4
#define UART_LINE_STATUS   5

#define LCR_8N1            0x03 /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB           0x80 /* divisor latch access */
#define FCR_ENABLE         0x01
#define FCR_CLEAR_RECEIVE  0x02
#define FCR_CLEAR_TRANSMIT 0x04
#define FCR_TRIGGER_14     0xc0
#define MCR_DTR            0x01
#define MCR_RTS            0x02
#define MCR_OUT2           0x08
#define LSR_DATA_READY     0x01
#define LSR_TRANSMIT_EMPTY 0x20

void serial_init(struct serial_port *port, uint16_t base, uint32_t baud)
{
    uint32_t divisor = baud ? UART_MAX_BAUD / baud : 1;
    if (divisor == 0)
        divisor = 1;
    port->base = base;
    io_out8(base + UART_INTERRUPTS, 0x00);
    io_out8(base + UART_LINE_CONTROL, LCR_DLAB);
    io_out8(base + UART_DIVISOR_LOW, divisor & 0xff);
    io_out8(base + UART_DIVISOR_HIGH, (divisor >> 8) & 0xff);
    io_out8(base + UART_LINE_CONTROL, LCR_8N1);
    io_out8(base + UART_FIFO_CONTROL,
            FCR_ENABLE | FCR_CLEAR_RECEIVE | FCR_CLEAR_TRANSMIT | FCR_TRIGGER_14);
    io_out8(base + UART_MODEM_CONTROL, MCR_DTR | MCR_RTS | MCR_OUT2);
}

static void transmit(struct serial_port *port, uint8_t byte)
{
    while (!(io_in8(port->base + UART_LINE_STATUS) & LSR_TRANSMIT_EMPTY))
        cpu_relax();
    io_out8(port->base + UART_DATA, byte);
}

void serial_putc(struct serial_port *port, char c)
{
    if (c == '\n')
        transmit(port, '\r');
    transmit(port, (uint8_t)c);
}

int serial_getc(struct serial_port *port)
{
    if (!(io_in8(port->base + UART_LINE_STATUS) & LSR_DATA_READY))
        return -1;
    return io_in8(port->base + UART_DATA);
}

static void serial_console_write(struct console *console, const char *buf, size_t len)
{
    struct serial_port *port = console->priv;
    for (size_t i = 0; i < len; i++)
        serial_putc(port, buf[i]);
}

static int serial_console_read(struct console *console)
{
    return serial_getc(console->priv);
}

void serial_console_register(struct serial_port *port)
{
    port->console = (struct console){
        .name = "serial",
        .write = serial_console_write,
        .read_char = serial_console_read,
        .flags = CONSOLE_REPLACES_EARLY,
        .priv = port,
    };
    console_register(&port->console);
}
