/* The privileged CPU instructions on a PC (see <keel/cpu.h>): the interrupt
 * flag, halting, control registers, MSRs, the TLB. The Linux platform
 * emulates these (platform/linux/cpu.c); the unprivileged ones are
 * arch/x86_64/unprivileged.c's, and cpu_irq_save/restore core/irq.c's. */
#include <keel/cpu.h>

void cpu_irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}

void cpu_irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}

uint64_t cpu_read_rflags(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0" : "=r"(flags)::"memory");
    return flags;
}

bool cpu_irq_enabled(void)
{
    return (cpu_read_rflags() & (1u << 9)) != 0;
}

void cpu_halt(void)
{
    __asm__ volatile("hlt" ::: "memory");
}

void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt" ::: "memory");
}

#define READ_CR(n)                                                                                 \
    uint64_t cpu_read_cr##n(void)                                                                  \
    {                                                                                              \
        uint64_t value;                                                                            \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(value));                                      \
        return value;                                                                              \
    }
READ_CR(0)
READ_CR(2)
READ_CR(3)
READ_CR(4)

void cpu_write_cr3(uint64_t value)
{
    __asm__ volatile("mov %0, %%cr3" ::"r"(value) : "memory");
}

uint64_t cpu_read_msr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

void cpu_write_msr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

void cpu_invlpg(uintptr_t va)
{
    __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}
