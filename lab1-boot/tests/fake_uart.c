/* The pretend 16550 UART (see fake_uart.h). */
#include "fake_uart.h"

#define LSR_DATA_READY       0x01
#define LSR_TRANSMIT_EMPTY   0x20
#define LSR_TRANSMITTER_IDLE 0x40

static void record(struct fake_uart *uart, bool write, uint8_t offset, uint8_t value)
{
    if (uart->log_count < FAKE_UART_LOG)
        uart->log[uart->log_count++] =
            (struct fake_uart_access){write, offset, (uart->lcr & 0x80) != 0, value};
}

static uint32_t fake_read(struct io_mock *mock, uint16_t port, int width)
{
    struct fake_uart *uart = mock->ctx;
    uint8_t offset = (uint8_t)(port - FAKE_UART_BASE), value = 0xff;
    bool dlab = (uart->lcr & 0x80) != 0;
    bool waiting = uart->receive && uart->receive[uart->received_count];
    (void)width;
    switch (offset) {
    case 0:
        if (dlab) {
            value = uart->dll;
        } else if (waiting) {
            value = (uint8_t)uart->receive[uart->received_count++];
        } else {
            uart->data_reads_when_empty++;
            value = 0;
        }
        break;
    case 1:
        value = dlab ? uart->dlm : uart->ier;
        break;
    case 2:
        value = (uart->fcr & 1) ? 0xc1 : 0x01; /* IIR: FIFOs enabled, no interrupt */
        break;
    case 3:
        value = uart->lcr;
        break;
    case 4:
        value = uart->mcr;
        break;
    case 5:
        if (uart->busy_status_reads > 0) {
            uart->busy_status_reads--;
            value = 0;
        } else {
            value = LSR_TRANSMIT_EMPTY | LSR_TRANSMITTER_IDLE;
        }
        if (waiting)
            value |= LSR_DATA_READY;
        break;
    default:
        value = 0;
    }
    record(uart, false, offset, value);
    return value;
}

static void fake_write(struct io_mock *mock, uint16_t port, int width, uint32_t value32)
{
    struct fake_uart *uart = mock->ctx;
    uint8_t offset = (uint8_t)(port - FAKE_UART_BASE), value = (uint8_t)value32;
    bool dlab = (uart->lcr & 0x80) != 0;
    (void)width;
    record(uart, true, offset, value);
    switch (offset) {
    case 0:
        if (dlab) {
            uart->dll = value;
        } else {
            if (uart->busy_status_reads > 0)
                uart->written_while_busy = true;
            if (uart->transmitted_count < sizeof(uart->transmitted) - 1)
                uart->transmitted[uart->transmitted_count++] = (char)value;
        }
        break;
    case 1:
        if (dlab)
            uart->dlm = value;
        else
            uart->ier = value;
        break;
    case 2:
        uart->fcr = value;
        break;
    case 3:
        uart->lcr = value;
        break;
    case 4:
        uart->mcr = value;
        break;
    }
}

void fake_uart_install(struct fake_uart *uart)
{
    memset(uart, 0, sizeof(*uart));
    uart->lcr = 0x00;
    uart->mock = (struct io_mock){
        .base = FAKE_UART_BASE, .count = 8, .read = fake_read, .write = fake_write, .ctx = uart};
    io_mock_install(&uart->mock);
}

void fake_uart_remove(void)
{
    io_mock_remove();
}
