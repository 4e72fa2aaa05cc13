/* The framework's interrupt plumbing: the timer fires at the rate asked,
 * masking nests, the clock advances. */
#include <keel/interrupt.h>
#include <keel/keel.h>
#include <ktest.h>

static volatile uint64_t ticks;

static bool count_tick(struct trap_frame *frame)
{
    (void)frame;
    ticks++;
    interrupt_eoi();
    return true;
}

KTEST(timer_fires_at_the_rate_asked)
{
    ticks = 0;
    trap_set_handler(TIMER_VECTOR, count_tick);
    timer_start(100);
    cpu_irq_enable();
    uint64_t start = time_ns();
    time_delay_us(200000);
    uint64_t elapsed_ms = (time_ns() - start) / 1000000;
    /* Stop the timer with interrupts still on: a tick the APIC has already
     * accepted is taken here, by count_tick, and not left pending for the
     * next test's cpu_irq_enable, which has no handler for it. */
    timer_stop();
    cpu_irq_disable();
    trap_set_handler(TIMER_VECTOR, NULL);
    KT_ASSERT(elapsed_ms >= 190 && elapsed_ms < 400, "waited %lu ms for 200", elapsed_ms);
    uint64_t expected = elapsed_ms / 10;
    KT_ASSERT(ticks * 4 >= expected && ticks <= expected + 5,
              "%lu timer ticks in %lu ms at 100 Hz (expected about %lu)", ticks, elapsed_ms,
              expected);
}

KTEST(irq_masking_nests)
{
    cpu_irq_enable();
    irq_push_off();
    irq_push_off();
    KT_ASSERT(!cpu_irq_enabled() && irq_nesting() == 2, "two push_off");
    irq_pop_off();
    KT_ASSERT(!cpu_irq_enabled(), "interrupts came back on at the inner pop_off");
    irq_pop_off();
    KT_ASSERT(cpu_irq_enabled() && irq_nesting() == 0, "the outer pop_off restores them");
    cpu_irq_disable();
    irq_push_off();
    irq_pop_off();
    KT_ASSERT(!cpu_irq_enabled(), "pop_off must not enable what was disabled before");
}

KTEST(crash_unbalanced_pop_off)
{
    irq_pop_off();
}
