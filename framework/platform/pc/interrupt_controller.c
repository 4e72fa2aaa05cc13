/* The PC's interrupt controllers and clocks (see <keel/interrupt.h>): the
 * legacy PICs (remapped and masked), the local APIC (its timer, end of
 * interrupt), the I/O APIC (ISA lines to vectors), and the TSC and APIC
 * timer rates, calibrated against the PIT. */
#include <keel/cpu.h>
#include <keel/interrupt.h>
#include <keel/io.h>
#include <keel/kprintf.h>
#include <keel/panic.h>
#include <keel/trap.h>

#include "../../core/internal.h"
#include "pc.h"

#define APIC_BASE_MSR         0x1b
#define APIC_BASE_ENABLE      (1u << 11)
#define LAPIC_ID              0x20
#define LAPIC_EOI             0xb0
#define LAPIC_SPURIOUS        0xf0
#define LAPIC_TPR             0x80
#define LAPIC_LVT_TIMER       0x320
#define LAPIC_TIMER_INITIAL   0x380
#define LAPIC_TIMER_CURRENT   0x390
#define LAPIC_TIMER_DIVIDE    0x3e0
#define LVT_MASKED            (1u << 16)
#define LVT_PERIODIC          (1u << 17)
#define IOAPIC_PHYS           0xfec00000ul
#define IOAPIC_REDIRECTION(n) (0x10 + 2 * (n))
#define PIT_HZ                1193182u
#define CALIBRATION_MS        10

static volatile uint32_t *lapic;
static volatile uint32_t *ioapic;
static uint64_t lapic_ticks_per_ms;
static unsigned current_hz;

static uint32_t lapic_read(uint32_t reg)
{
    return lapic[reg / 4];
}

static void lapic_write(uint32_t reg, uint32_t value)
{
    lapic[reg / 4] = value;
    (void)lapic[LAPIC_ID / 4]; /* wait for the write to land */
}

static void ioapic_write(uint32_t reg, uint32_t value)
{
    ioapic[0] = reg;
    ioapic[4] = value;
}

static void pic_mask_all(void)
{
    /* Remap the PICs away from the exception vectors first, so a stray
     * interrupt cannot look like a CPU exception, then mask every line. */
    io_out8(0x20, 0x11);
    io_out8(0xa0, 0x11);
    io_out8(0x21, 0xf0);
    io_out8(0xa1, 0xf8);
    io_out8(0x21, 0x04);
    io_out8(0xa1, 0x02);
    io_out8(0x21, 0x01);
    io_out8(0xa1, 0x01);
    io_out8(0x21, 0xff);
    io_out8(0xa1, 0xff);
}

/* Wait `ms` milliseconds on PIT channel 2 (gated by port 0x61, no interrupt). */
static void pit_wait_ms(unsigned ms)
{
    uint32_t count = PIT_HZ * ms / 1000;
    io_out8(0x61, (uint8_t)((io_in8(0x61) & ~0x02) | 0x01)); /* gate on, speaker off */
    io_out8(0x43, 0xb0);                                     /* channel 2, mode 0, binary */
    io_out8(0x42, count & 0xff);
    io_out8(0x42, (uint8_t)(count >> 8));
    io_out8(0x61, (uint8_t)(io_in8(0x61) & ~0x01)); /* restart the count */
    io_out8(0x61, (uint8_t)(io_in8(0x61) | 0x01));
    while (!(io_in8(0x61) & 0x20))
        cpu_relax();
}

static void calibrate(void)
{
    lapic_write(LAPIC_TIMER_DIVIDE, 0x3); /* divide by 16 */
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_TIMER_INITIAL, 0xffffffffu);
    uint64_t tsc_start = cpu_rdtsc();
    pit_wait_ms(CALIBRATION_MS);
    uint64_t tsc_end = cpu_rdtsc();
    uint32_t elapsed = 0xffffffffu - lapic_read(LAPIC_TIMER_CURRENT);
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    lapic_ticks_per_ms = elapsed / CALIBRATION_MS;
    tsc_per_ms = (tsc_end - tsc_start) / CALIBRATION_MS;
    if (lapic_ticks_per_ms == 0 || tsc_per_ms == 0)
        panic("could not calibrate the timers against the PIT (APIC %lu, TSC %lu per ms)",
              lapic_ticks_per_ms, tsc_per_ms);
}

static bool ignore_spurious(struct trap_frame *frame)
{
    (void)frame;
    return true; /* spurious interrupts need no EOI */
}

void platform_interrupts_init(void)
{
    tsc_at_boot = cpu_rdtsc();
    pic_mask_all();
    uint64_t base = cpu_read_msr(APIC_BASE_MSR);
    cpu_write_msr(APIC_BASE_MSR, base | APIC_BASE_ENABLE);
    lapic = pc_map_mmio(base & 0xfffff000ul, 4096);
    ioapic = pc_map_mmio(IOAPIC_PHYS, 4096);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SPURIOUS, 0x100 | SPURIOUS_VECTOR);
    for (unsigned line = 0; line < 24; line++) {
        ioapic_write(IOAPIC_REDIRECTION(line), LVT_MASKED | (IRQ_VECTOR_BASE + line));
        ioapic_write(IOAPIC_REDIRECTION(line) + 1, 0);
    }
    trap_set_handler(SPURIOUS_VECTOR, ignore_spurious);
    calibrate();
}

unsigned irq_vector(unsigned isa_irq)
{
    return IRQ_VECTOR_BASE + isa_irq;
}

void irq_unmask(unsigned isa_irq)
{
    kassert(isa_irq < 16);
    uint32_t apic_id = lapic_read(LAPIC_ID) >> 24;
    ioapic_write(IOAPIC_REDIRECTION(isa_irq) + 1, apic_id << 24);
    ioapic_write(IOAPIC_REDIRECTION(isa_irq), irq_vector(isa_irq)); /* edge, high, fixed */
}

void irq_mask(unsigned isa_irq)
{
    kassert(isa_irq < 16);
    ioapic_write(IOAPIC_REDIRECTION(isa_irq), LVT_MASKED | irq_vector(isa_irq));
}

void interrupt_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

void timer_start(unsigned hz)
{
    if (hz == 0 || hz > 10000)
        panic("timer_start(%u): the rate must be 1 to 10000 Hz", hz);
    current_hz = hz;
    lapic_write(LAPIC_TIMER_DIVIDE, 0x3);
    lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | TIMER_VECTOR);
    lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)(lapic_ticks_per_ms * 1000 / hz));
}

void timer_stop(void)
{
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    current_hz = 0;
}

unsigned timer_hz(void)
{
    return current_hz;
}
