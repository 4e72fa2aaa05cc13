/* A pretend 16550 UART for the lab 1 tests, put in front of its ports with
 * io_mock_install. It records every register access, so a test can check
 * the exact sequence a driver used, and it can pretend to be slow (the
 * transmitter stays busy for a few status reads) or to have received bytes. */
#ifndef LAB1_FAKE_UART_H
#define LAB1_FAKE_UART_H

#include <keel/keel.h>
#include <keel/testing.h>

#define FAKE_UART_BASE 0x2f8 /* COM2's address: never the real console */
#define FAKE_UART_LOG  256

struct fake_uart_access {
    bool write;
    uint8_t offset; /* from the base */
    bool dlab;      /* divisor latch bit at the time of the access */
    uint8_t value;
};

struct fake_uart {
    struct io_mock mock;
    uint8_t lcr, ier, mcr, fcr, dll, dlm;
    int busy_status_reads; /* this many LSR reads report "transmitter busy" */
    bool written_while_busy;
    char transmitted[256];
    size_t transmitted_count;
    const char *receive; /* bytes waiting to be received */
    size_t received_count;
    int data_reads_when_empty; /* reads of the data register with nothing waiting */
    struct fake_uart_access log[FAKE_UART_LOG];
    size_t log_count;
};

/* Reset `uart` and install it in front of FAKE_UART_BASE..+7. */
void fake_uart_install(struct fake_uart *uart);

/* Remove it again (the test runner also does this after every test). */
void fake_uart_remove(void);

#endif
