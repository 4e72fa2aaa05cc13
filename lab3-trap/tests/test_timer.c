/* Lab 3 tests, part 2: timer ticks, uptime, masking, serial interrupts. */
#include <ktest.h>

#include "../lab3.h"

#define COM1_BASE 0x3f8

/* Run the timer at `hz` for about `ms` milliseconds of the framework's clock;
 * return the ticks counted. */
static uint64_t ticks_during(unsigned hz, unsigned ms, uint64_t *elapsed_ms)
{
    lab3_install();
    uint64_t before = timer_ticks();
    timer_start(hz);
    cpu_irq_enable();
    uint64_t start = time_ns();
    time_delay_us(ms * 1000ull);
    cpu_irq_disable();
    *elapsed_ms = (time_ns() - start) / 1000000;
    timer_stop();
    return timer_ticks() - before;
}

KTEST(timer_ticks_at_100hz)
{
    uint64_t elapsed;
    uint64_t ticks = ticks_during(100, 300, &elapsed);
    KT_ASSERT(ticks != 1, "only one timer tick arrived: the local APIC sends no more interrupts "
                          "until the handler acknowledges one with interrupt_eoi()");
    /* An emulator on a busy host may merge ticks it could not deliver in
     * time, so only too many ticks, or far too few, count as wrong. */
    uint64_t expected = elapsed / 10;
    KT_ASSERT(ticks * 4 >= expected && ticks * 4 <= expected * 5,
              "%lu ticks in %lu ms at 100 Hz; expected about %lu (at most 25%% more, at "
              "most three quarters fewer)",
              ticks, elapsed, expected);
}

KTEST(timer_ticks_at_1000hz)
{
    uint64_t elapsed;
    uint64_t ticks = ticks_during(1000, 100, &elapsed);
    KT_ASSERT(ticks * 4 >= elapsed && ticks * 4 <= elapsed * 5,
              "%lu ticks in %lu ms at 1000 Hz; expected about %lu (at most 25%% more, at "
              "most three quarters fewer)",
              ticks, elapsed, elapsed);
}

KTEST(uptime_follows_ticks)
{
    uint64_t elapsed;
    ticks_during(100, 100, &elapsed);
    timer_start(100);
    uint64_t ticks = timer_ticks(), uptime = uptime_ms();
    timer_stop();
    KT_ASSERT(ticks > 0, "no timer ticks were counted");
    KT_ASSERT_EQ(uptime, ticks * 10, "uptime_ms at 100 Hz (ticks * 1000 / 100)");
    KT_ASSERT_EQ(uptime_ms(), 0, "uptime_ms with the timer stopped");
}

KTEST(masked_interrupts_wait)
{
    lab3_install();
    timer_start(1000);
    cpu_irq_enable();
    irq_push_off();
    uint64_t masked_start = timer_ticks();
    time_delay_us(30000);
    uint64_t masked_end = timer_ticks();
    irq_pop_off();
    time_delay_us(30000);
    uint64_t after = timer_ticks();
    cpu_irq_disable();
    timer_stop();
    KT_ASSERT(masked_end == masked_start, "%lu ticks were handled while interrupts were masked",
              masked_end - masked_start);
    KT_ASSERT(after > masked_end + 3, "only %lu ticks in 30 ms after unmasking at 1000 Hz",
              after - masked_end);
}

KTEST(serial_interrupts_deliver_input)
{
    lab3_install();
    serial_interrupts_enable(COM1_BASE);
    uint8_t mcr = io_in8(COM1_BASE + 4);
    io_out8(COM1_BASE + 4, (uint8_t)(mcr | 0x10)); /* loopback: what we send comes back */
    cpu_irq_enable();
    for (const char *p = "ok"; *p; p++) {
        while (!(io_in8(COM1_BASE + 5) & 0x20))
            cpu_relax();
        io_out8(COM1_BASE, (uint8_t)*p);
        time_delay_us(5000);
    }
    time_delay_us(20000);
    cpu_irq_disable();
    bool still_waiting = io_in8(COM1_BASE + 5) & 0x01;
    io_out8(COM1_BASE + 4, mcr);
    io_out8(COM1_BASE + 1, 0);
    irq_mask(ISA_IRQ_COM1);
    KT_ASSERT(!still_waiting, "the received bytes are still waiting in the UART: no interrupt "
                              "handler read them (IER bit 0 set? OUT2 set in the modem-control "
                              "register? IRQ 4 unmasked? handler installed for "
                              "irq_vector(ISA_IRQ_COM1)?)");
    int first = console_getc(), second = console_getc();
    KT_ASSERT(first == 'o' && second == 'k',
              "bytes received by the UART (in loopback mode) should reach console_getc through "
              "your interrupt handler; got %d and %d",
              first, second);
}

/* Host-checked (grading/test_lab3_trap.py): four bursts of 1-12 random bytes
 * (0-255) sent with interrupts off through the UART in loopback mode, so
 * they wait in its receive FIFO together; then interrupts go on and the
 * bytes must reach console_getc, all of them, in order. A handler that reads
 * one byte per interrupt leaves the rest waiting: the UART raises no new
 * interrupt while bytes it already announced are still there. Nothing here
 * depends on timing: the test waits (up to half a second) until every byte
 * has arrived. */
KTEST(serial_interrupts_deliver_seeded_bytes)
{
    uint64_t state = ktest_seed();
    lab3_install();
    serial_interrupts_enable(COM1_BASE);
    uint8_t mcr = io_in8(COM1_BASE + 4);
    io_out8(COM1_BASE + 4, (uint8_t)(mcr | 0x10)); /* loopback: what we send comes back */
    console_inject_clear();
    static int got[4][16];
    size_t sent[4], arrived[4];
    bool waiting[4];
    for (unsigned burst = 0; burst < 4; burst++) {
        sent[burst] = 1 + ktest_random_below(&state, 12);
        for (size_t i = 0; i < sent[burst]; i++) {
            while (!(io_in8(COM1_BASE + 5) & 0x20))
                cpu_relax();
            io_out8(COM1_BASE, (uint8_t)ktest_random_below(&state, 256));
        }
        /* Wait until the transmitter is done and the receiver empty: only
         * an interrupt handler can empty it now. */
        cpu_irq_enable();
        for (uint64_t start = time_ns();
             (io_in8(COM1_BASE + 5) & 0x41) != 0x40 && time_ns() - start < 500000000ull;)
            cpu_relax();
        cpu_irq_disable();
        waiting[burst] = io_in8(COM1_BASE + 5) & 0x01;
        /* Empty the FIFO before reading the console: with no input of its
         * own, console_getc would poll the UART itself. */
        io_out8(COM1_BASE + 2, 0xc7);
        arrived[burst] = 0;
        for (int c; arrived[burst] < 16 && (c = console_getc()) >= 0;)
            got[burst][arrived[burst]++] = c;
    }
    io_out8(COM1_BASE + 4, mcr); /* answers go out on the serial line: loopback off first */
    io_out8(COM1_BASE + 1, 0);
    irq_mask(ISA_IRQ_COM1);
    for (unsigned burst = 0; burst < 4; burst++) {
        char text[96] = "";
        size_t used = 0;
        for (size_t i = 0; i < arrived[burst]; i++)
            used += (size_t)ksnprintf(text + used, sizeof(text) - used, "%s %d", i ? "" : ":",
                                      got[burst][i]);
        ktest_answer("burst %u: %zu of %zu bytes arrived%s%s", burst + 1, arrived[burst],
                     sent[burst], text, waiting[burst] ? "; more are waiting in the UART" : "");
    }
}
