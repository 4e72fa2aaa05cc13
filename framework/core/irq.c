/* The portable side of interrupt control and time: cpu_irq_save/restore
 * (<keel/cpu.h>), nesting of irq_push_off/irq_pop_off (<keel/interrupt.h>),
 * and time from the time stamp counter, which the platform calibrates at
 * boot. */
#include <keel/cpu.h>
#include <keel/interrupt.h>
#include <keel/panic.h>

#include "internal.h"

uint64_t tsc_per_ms;
uint64_t tsc_at_boot;

static unsigned nesting;
static bool enabled_before;

void irq_push_off(void)
{
    if (perturb_active && nesting == 0)
        perturb_point(); /* as if a tick came just before masking */
    bool was_enabled = cpu_irq_save();
    if (nesting++ == 0)
        enabled_before = was_enabled;
}

void irq_pop_off(void)
{
    if (cpu_irq_enabled())
        panic("irq_pop_off with interrupts enabled: something enabled them inside an "
              "irq_push_off section");
    if (nesting == 0)
        panic("irq_pop_off without a matching irq_push_off");
    if (--nesting == 0 && enabled_before) {
        cpu_irq_enable();
        if (perturb_active)
            perturb_point(); /* as if a tick had waited for the unmasking */
    }
}

/* Built on the platform's cpu_irq_enabled/disable/enable, the same on
 * every platform. */
bool cpu_irq_save(void)
{
    bool was_enabled = cpu_irq_enabled();
    cpu_irq_disable();
    return was_enabled;
}

void cpu_irq_restore(bool was_enabled)
{
    if (was_enabled) {
        cpu_irq_enable();
        if (perturb_active && nesting == 0)
            perturb_point();
    }
}

unsigned irq_nesting(void)
{
    return nesting;
}

bool irq_enabled_before(void)
{
    return enabled_before;
}

void irq_state_restore(unsigned saved_nesting, bool saved_enabled_before)
{
    nesting = saved_nesting;
    enabled_before = saved_enabled_before;
}

uint64_t time_ns(void)
{
    if (!tsc_per_ms)
        return 0;
    uint64_t ticks = cpu_rdtsc() - tsc_at_boot;
    return ticks / tsc_per_ms * 1000000 + (ticks % tsc_per_ms) * 1000000 / tsc_per_ms;
}

void time_delay_us(uint64_t microseconds)
{
    uint64_t end = time_ns() + microseconds * 1000;
    /* Spin rather than halt: a halted CPU whose interrupts stopped coming
     * (a handler that never acknowledges them) would never wake up. */
    while (time_ns() < end)
        cpu_relax();
}
