/* The framework's early console: COM1 driven by polling, plus the 0xe9 debug
 * port (Bochs's port_e9_hack and QEMU's -debugcon print it). It bypasses the
 * port-I/O mock on purpose: a test that puts a fake UART on COM1 must not
 * swallow the framework's own grader protocol and panic output. */
#include "../../core/internal.h"

#define COM1               0x3f8
#define DEBUG_PORT         0xe9
#define LSR_DATA_READY     0x01
#define LSR_TRANSMIT_EMPTY 0x20
/* Give up waiting for a missing or stuck UART after this many polls, so the
 * kernel never hangs on its own diagnostics. */
#define TRANSMIT_SPIN_LIMIT 100000

static bool uart_present;

static inline void raw_out8(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" ::"a"(value), "Nd"(port));
}

static inline uint8_t raw_in8(uint16_t port)
{
    uint8_t value;
    __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
    return value;
}

void platform_early_console_init(void)
{
    raw_out8(COM1 + 1, 0x00); /* no interrupts */
    raw_out8(COM1 + 3, 0x80); /* divisor latch on */
    raw_out8(COM1 + 0, 0x01); /* 115200 baud */
    raw_out8(COM1 + 1, 0x00);
    raw_out8(COM1 + 3, 0x03); /* 8 data bits, no parity, one stop bit */
    raw_out8(COM1 + 2, 0xc7); /* FIFOs on and cleared */
    raw_out8(COM1 + 4, 0x0b); /* DTR, RTS, OUT2 */
    /* The scratch register reads back what was written if a UART is there. */
    raw_out8(COM1 + 7, 0x5a);
    uart_present = raw_in8(COM1 + 7) == 0x5a;
}

static void put_byte(char c)
{
    raw_out8(DEBUG_PORT, (uint8_t)c);
    if (!uart_present)
        return;
    for (int spins = 0; spins < TRANSMIT_SPIN_LIMIT; spins++)
        if (raw_in8(COM1 + 5) & LSR_TRANSMIT_EMPTY)
            break;
    raw_out8(COM1, (uint8_t)c);
}

void platform_early_console_write(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n')
            put_byte('\r');
        put_byte(buf[i]);
    }
}

/* A serial line never ends: more may always be typed. */
bool platform_console_input_ended(void)
{
    return false;
}

int platform_early_console_read(void)
{
    if (!uart_present || !(raw_in8(COM1 + 5) & LSR_DATA_READY))
        return -1;
    return raw_in8(COM1);
}
