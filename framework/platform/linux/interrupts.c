/* Interrupt controller and timer on the Linux platform (see
 * <keel/interrupt.h>): ISA interrupt lines go to vectors as on the PC, the
 * periodic timer is a POSIX timer whose signal goes to the kernel's thread,
 * and the end-of-interrupt works as a local APIC's does: until it comes,
 * no interrupt of the same or a lower priority class is delivered. */
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <keel/cpu.h>
#include <keel/interrupt.h>
#include <keel/panic.h>

#include "../../core/internal.h"
#include "linux.h"

static timer_t timer;
static unsigned current_hz;
static uint32_t unmasked_lines;

static uint64_t monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ul + (uint64_t)now.tv_nsec;
}

void platform_interrupts_init(void)
{
    /* Time comes from the TSC, as on the PC; measure its rate against the
     * host's clock. Both count wall-clock time, so being descheduled during
     * the wait does not skew the ratio, and 1 ms against a nanosecond clock
     * is accurate to a few parts per million while every boot (every test
     * run) pays for it. */
    uint64_t start_ns = monotonic_ns(), start_tsc = cpu_rdtsc();
    while (monotonic_ns() - start_ns < 1000000)
        cpu_relax();
    uint64_t elapsed_ns = monotonic_ns() - start_ns;
    tsc_per_ms = (cpu_rdtsc() - start_tsc) * 1000000 / elapsed_ns;
    tsc_at_boot = cpu_rdtsc();

    struct sigevent event = {.sigev_notify = SIGEV_THREAD_ID,
                             .sigev_signo = LINUX_TIMER_SIGNAL,
                             ._sigev_un._tid = gettid()};
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0)
        panic("timer_create failed: no timer interrupts on this host");
}

unsigned irq_vector(unsigned isa_irq)
{
    return IRQ_VECTOR_BASE + isa_irq;
}

bool linux_irq_line_unmasked(unsigned isa_irq)
{
    return unmasked_lines & (1u << isa_irq);
}

void irq_unmask(unsigned isa_irq)
{
    if (isa_irq >= 16)
        panic("irq_unmask(%u): ISA interrupt lines are 0 to 15", isa_irq);
    unmasked_lines |= 1u << isa_irq;
    linux_uart_poll_input(); /* a device may already be asserting it */
    linux_irq_check();
}

void irq_mask(unsigned isa_irq)
{
    if (isa_irq < 16)
        unmasked_lines &= ~(1u << isa_irq);
}

void interrupt_eoi(void)
{
    for (int word = 3; word >= 0; word--) {
        if (linux_cpu.in_service[word]) {
            int bit = 63 - __builtin_clzll(linux_cpu.in_service[word]);
            linux_cpu.in_service[word] &= ~(1ul << bit);
            break;
        }
    }
    linux_uart_poll_input();
    linux_irq_check();
}

void timer_start(unsigned hz)
{
    if (hz == 0 || hz > 10000)
        panic("timer_start(%u): the rate must be 1 to 10000 Hz", hz);
    current_hz = hz;
    long period = 1000000000l / hz;
    struct itimerspec spec = {.it_interval = {0, period}, .it_value = {0, period}};
    timer_settime(timer, 0, &spec, NULL);
}

void timer_stop(void)
{
    struct itimerspec off = {0};
    timer_settime(timer, 0, &off, NULL);
    current_hz = 0;
    /* A tick raised while interrupts were off must not arrive after the
     * timer is stopped (and its handler perhaps gone). */
    linux_irq_withdraw(TIMER_VECTOR);
}

unsigned timer_hz(void)
{
    return current_hz;
}
