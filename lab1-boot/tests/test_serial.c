/* Lab 1 tests, part 1: the serial driver, against a pretend UART and the real
 * one. */
#include <ktest.h>

#include "../lab1.h"
#include "fake_uart.h"

static struct fake_uart uart;
static struct serial_port port;

/* Index of the first logged write to `offset` with DLAB as given, or -1. */
static int find_write(uint8_t offset, bool dlab)
{
    for (size_t i = 0; i < uart.log_count; i++)
        if (uart.log[i].write && uart.log[i].offset == offset && uart.log[i].dlab == dlab)
            return (int)i;
    return -1;
}

KTEST(serial_init_programs_uart)
{
    fake_uart_install(&uart);
    serial_init(&port, FAKE_UART_BASE, 9600);
    fake_uart_remove();
    KT_ASSERT(uart.log_count > 0, "serial_init did not touch the UART's registers at all "
                                  "(use io_out8(base + offset, value))");
    KT_ASSERT(find_write(1, false) >= 0 && uart.ier == 0,
              "the interrupt enable register (offset 1, DLAB clear) must be written with 0: "
              "lab 1 polls the UART (IER is %#x)",
              uart.ier);
    KT_ASSERT(find_write(0, true) >= 0 && find_write(1, true) >= 0,
              "the divisor was not written with the divisor latch bit (LCR bit 7) set");
    KT_ASSERT(uart.dll == 12 && uart.dlm == 0,
              "for 9600 baud the divisor is 115200 / 9600 = 12 (low byte 12, high byte 0); "
              "the UART got low %u, high %u",
              uart.dll, uart.dlm);
    KT_ASSERT(uart.lcr == 0x03,
              "the line control register ends as %#x; expected 0x03 (8 data "
              "bits, no parity, 1 stop bit, divisor latch bit clear)",
              uart.lcr);
    KT_ASSERT((uart.fcr & 0x07) == 0x07,
              "the FIFO control register is %#x: enable the FIFOs "
              "(bit 0) and clear both (bits 1 and 2)",
              uart.fcr);
    KT_ASSERT((uart.mcr & 0x0b) == 0x0b,
              "the modem control register is %#x: set DTR (bit 0), RTS (bit 1) and OUT2 (bit 3)",
              uart.mcr);
}

KTEST(serial_init_divisor_for_fast_baud)
{
    fake_uart_install(&uart);
    serial_init(&port, FAKE_UART_BASE, 115200);
    fake_uart_remove();
    KT_ASSERT(uart.dll == 1 && uart.dlm == 0 && uart.lcr == 0x03,
              "for 115200 baud expected divisor 1 and LCR 0x03; got divisor %u, LCR %#x",
              uart.dll | (uart.dlm << 8), uart.lcr);
}

KTEST(serial_putc_waits_for_transmitter)
{
    fake_uart_install(&uart);
    port.base = FAKE_UART_BASE;
    uart.lcr = 0x03;
    uart.busy_status_reads = 3;
    serial_putc(&port, 'K');
    fake_uart_remove();
    KT_ASSERT(uart.transmitted_count > 0, "serial_putc did not write anything to the data "
                                          "register (offset 0)");
    KT_ASSERT(!uart.written_while_busy,
              "serial_putc wrote to the data register while the line status said the "
              "transmitter was busy (LSR bit 5 clear): wait until bit 5 is set. Real UARTs "
              "and Bochs drop such bytes");
    KT_ASSERT(uart.transmitted_count == 1 && uart.transmitted[0] == 'K',
              "serial_putc('K') sent %zu bytes, first %#x", uart.transmitted_count,
              (unsigned char)uart.transmitted[0]);
}

KTEST(serial_putc_translates_newline)
{
    fake_uart_install(&uart);
    port.base = FAKE_UART_BASE;
    uart.lcr = 0x03;
    serial_putc(&port, 'a');
    serial_putc(&port, '\n');
    fake_uart_remove();
    KT_ASSERT(uart.transmitted_count == 3 && memcmp(uart.transmitted, "a\r\n", 3) == 0,
              "serial_putc of 'a' then '\\n' should send \"a\\r\\n\" (3 bytes); sent %zu bytes",
              uart.transmitted_count);
}

KTEST(serial_getc_reads_received_bytes)
{
    fake_uart_install(&uart);
    port.base = FAKE_UART_BASE;
    uart.lcr = 0x03;
    uart.receive = "ok";
    int first = serial_getc(&port), second = serial_getc(&port), third = serial_getc(&port);
    fake_uart_remove();
    KT_ASSERT(first == 'o' && second == 'k',
              "with \"ok\" received, serial_getc returned %d then %d (expected %d then %d)", first,
              second, 'o', 'k');
    KT_ASSERT(third == -1, "with nothing received, serial_getc must return -1 at once; got %d",
              third);
    KT_ASSERT(uart.data_reads_when_empty == 0,
              "serial_getc read the data register while the line status said no data was "
              "ready: check LSR bit 0 first");
}

KTEST(serial_console_carries_kprintf)
{
    static struct serial_port console_port;
    fake_uart_install(&uart);
    uart.receive = "x";
    console_port.base = FAKE_UART_BASE;
    serial_console_register(&console_port);
    kprintf("via-console");
    int typed = console_getc();
    console_unregister(&console_port.console);
    fake_uart_remove();
    KT_ASSERT(uart.transmitted_count >= 11 && strstr(uart.transmitted, "via-console"),
              "after serial_console_register, kprintf(\"via-console\") did not reach the UART "
              "(it got %zu bytes)",
              uart.transmitted_count);
    KT_ASSERT(typed == 'x',
              "console_getc() returned %d, not the byte the UART received ('x'): "
              "set the console's read_char",
              typed);
    KT_ASSERT(console_port.console.flags & CONSOLE_REPLACES_EARLY,
              "the console should have the CONSOLE_REPLACES_EARLY flag");
}

KTEST(serial_reaches_the_wire)
{
    static struct serial_port com1;
    char message[48];
    ksnprintf(message, sizeof(message), "lab1-wire-check-%lx",
              (unsigned long)(cpu_rdtsc() & 0xffffff));
    serial_init(&com1, COM1_BASE, UART_MAX_BAUD);
    serial_putc(&com1, '\n');
    for (const char *p = message; *p; p++)
        serial_putc(&com1, *p);
    serial_putc(&com1, '\n');
    ktest_expect_output(message);
}

/* Report `count` values as answer lines of up to 16 each, "<what> 1-16: v v ...". */
static void answer_values(const char *what, const int *values, size_t count)
{
    for (size_t first = 0; first < count; first += 16) {
        char text[160];
        size_t used = 0, last = first + 16 < count ? first + 16 : count;
        for (size_t i = first; i < last; i++)
            used += (size_t)ksnprintf(text + used, sizeof(text) - used, " %d", values[i]);
        ktest_answer("%s %zu-%zu:%s", what, first + 1, last, text);
    }
}

/* Host-checked (grading/test_lab1_boot.py): bytes drawn from the run's seed
 * go in through serial_getc and out through serial_putc, and the grader
 * checks every value. Bytes 128-255 catch a driver that returns a signed
 * char (0xff would look like "nothing received"). */
KTEST(serial_moves_seeded_bytes)
{
    uint64_t state = ktest_seed();
    static char received[64];
    size_t count = 16 + ktest_random_below(&state, 33);
    for (size_t i = 0; i < count; i++)
        received[i] = (char)(1 + ktest_random_below(&state, 255));
    received[count] = '\0'; /* the pretend UART stops at the NUL */

    fake_uart_install(&uart);
    port.base = FAKE_UART_BASE;
    uart.lcr = 0x03;
    uart.receive = received;
    static int got[64];
    for (size_t i = 0; i < count + 2; i++) /* two more calls than bytes: both must say -1 */
        got[i] = serial_getc(&port);
    int reads_when_empty = uart.data_reads_when_empty;

    size_t sent = 8 + ktest_random_below(&state, 41);
    for (size_t i = 0; i < sent; i++) {
        char c =
            ktest_random_below(&state, 8) == 0 ? '\n' : (char)(1 + ktest_random_below(&state, 255));
        uart.busy_status_reads = (int)ktest_random_below(&state, 3);
        serial_putc(&port, c);
    }
    fake_uart_remove();

    KT_ASSERT(reads_when_empty == 0,
              "serial_getc read the data register while the line status said no data was "
              "ready: check LSR bit 0 first");
    KT_ASSERT(!uart.written_while_busy,
              "serial_putc wrote to the data register while the line status said the "
              "transmitter was busy (LSR bit 5 clear): wait until bit 5 is set");
    answer_values("getc", got, count + 2);
    static int wire[256];
    for (size_t i = 0; i < uart.transmitted_count; i++)
        wire[i] = (unsigned char)uart.transmitted[i];
    ktest_answer("putc sent %zu bytes", uart.transmitted_count);
    answer_values("sent", wire, uart.transmitted_count);
}
