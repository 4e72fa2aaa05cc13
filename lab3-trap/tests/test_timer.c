/* Lab 3 tests, part 2: timer ticks, uptime, masking, serial interrupts. */
#include <keel/testing.h>
#include <ktest.h>

#include "../lab3.h"

#define COM1_BASE 0x3f8

/* How long a test waits for the ticks it wants: far longer than they take
 * (a fifth of a second at 100 Hz), so a busy host that runs the kernel only
 * now and then still delivers them; a timer that stopped for good (no EOI)
 * is told apart only by this wait. */
#define TICK_WAIT_NS 2000000000ull

/* What a run of the timer saw. Time comes from the framework's clock (the
 * TSC). `ran_ns` is the part of it this CPU actually ran: on an emulator or
 * a Linux host that is busy, the kernel is not run at all for whole
 * milliseconds (every tick due meanwhile merges into one), and those gaps,
 * seen as jumps of the clock between two turns of the waiting loop, are left
 * out; time spent in the lab's timer handler always counts, however long.
 * A rate checked against `ran_ns` holds however busy the host is. */
struct tick_run {
    uint64_t ticks;      /* counted by the lab's handler (timer_ticks) */
    uint64_t interrupts; /* timer interrupts the framework dispatched */
    uint64_t elapsed_ms; /* wall-clock time of the run */
    uint64_t ran_ns;     /* time the kernel ran, host pauses left out */
    uint64_t handler_ns; /* time spent in the lab's timer handler */
};

/* The handler lab3_install put on TIMER_VECTOR, timed by timed_handler. */
static trap_handler_t lab_timer_handler;
static volatile uint64_t in_handler_ns;

static bool timed_handler(struct trap_frame *frame)
{
    uint64_t start = time_ns();
    bool handled = lab_timer_handler(frame);
    in_handler_ns += time_ns() - start;
    return handled;
}

/* Run the timer at `hz` until the framework has dispatched `want` timer
 * interrupts or TICK_WAIT_NS have passed. */
static struct tick_run run_timer(unsigned hz, uint64_t want)
{
    lab3_install();
    uint64_t ticks_before = timer_ticks(), interrupts_before = trap_dispatch_count(TIMER_VECTOR);
    uint64_t pause_ns = 500000000ull / hz; /* a jump of half a period is the host's */
    struct tick_run run = {0};
    lab_timer_handler = trap_set_handler(TIMER_VECTOR, NULL);
    trap_set_handler(TIMER_VECTOR, lab_timer_handler ? timed_handler : NULL);
    in_handler_ns = 0;
    timer_start(hz);
    cpu_irq_enable();
    uint64_t start = time_ns(), last = start, handled_before = 0;
    while (trap_dispatch_count(TIMER_VECTOR) - interrupts_before < want &&
           last - start < TICK_WAIT_NS) {
        cpu_relax();
        uint64_t now = time_ns(), handled = in_handler_ns - handled_before;
        handled_before += handled;
        if (now - last < pause_ns + handled)
            run.ran_ns += now - last;
        else
            run.ran_ns += handled;
        last = now;
    }
    cpu_irq_disable();
    run.elapsed_ms = (time_ns() - start) / 1000000;
    run.handler_ns = in_handler_ns;
    timer_stop();
    trap_set_handler(TIMER_VECTOR, lab_timer_handler);
    run.ticks = timer_ticks() - ticks_before;
    run.interrupts = trap_dispatch_count(TIMER_VECTOR) - interrupts_before;
    return run;
}

/* The checks both rates share: the interrupts keep coming (so each was
 * acknowledged), the handler counts each exactly once, and the rate is
 * right: never above `hz` by the wall clock (a busy host can delay and merge
 * ticks, never add any), and at least a quarter of `hz` over the time the
 * kernel actually ran. */
static void check_rate(unsigned hz, uint64_t want)
{
    struct tick_run run = run_timer(hz, want);
    KT_ASSERT(run.interrupts != 1,
              "only one timer interrupt arrived in %lu ms: the local APIC sends no more "
              "interrupts until the handler acknowledges one with interrupt_eoi()",
              run.elapsed_ms);
    KT_ASSERT(run.ticks == run.interrupts,
              "timer_ticks() went up by %lu while the framework delivered %lu timer interrupts "
              "to timer_handler: count each interrupt exactly once",
              run.ticks, run.interrupts);
    uint64_t most = (run.elapsed_ms * hz / 1000) * 5 / 4 + 2;
    KT_ASSERT(run.interrupts <= most,
              "%lu timer interrupts in %lu ms at %u Hz: at most %lu could have come",
              run.interrupts, run.elapsed_ms, hz, most);
    uint64_t due = run.ran_ns / 1000 * hz / 1000000; /* ticks due while the kernel ran */
    KT_ASSERT(run.interrupts * 4 >= due,
              "%lu timer interrupts while the kernel ran for %lu ms at %u Hz; at least %lu "
              "(a quarter of the rate) should have come. %lu ms of it were spent in "
              "timer_handler: a handler that takes longer than a tick makes the next ones wait "
              "and merge",
              run.interrupts, run.ran_ns / 1000000, hz, (due + 3) / 4, run.handler_ns / 1000000);
    KT_ASSERT(run.interrupts >= want,
              "only %lu timer interrupts arrived in %lu ms at %u Hz (waited for %lu)",
              run.interrupts, run.elapsed_ms, hz, want);
}

KTEST(timer_ticks_at_100hz)
{
    check_rate(100, 20);
}

KTEST(timer_ticks_at_1000hz)
{
    check_rate(1000, 100);
}

KTEST(uptime_follows_ticks)
{
    run_timer(100, 10);
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
    /* Four more ticks, waited for as long as a busy host may need. */
    uint64_t unmasked = time_ns();
    while (timer_ticks() <= masked_end + 3 && time_ns() - unmasked < TICK_WAIT_NS)
        cpu_relax();
    uint64_t after = timer_ticks(), waited_ms = (time_ns() - unmasked) / 1000000;
    cpu_irq_disable();
    timer_stop();
    KT_ASSERT(masked_end == masked_start, "%lu ticks were handled while interrupts were masked",
              masked_end - masked_start);
    KT_ASSERT(after > masked_end + 3, "only %lu ticks in %lu ms after unmasking at 1000 Hz",
              after - masked_end, waited_ms);
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
