/* CPU control primitives for x86_64 (see <keel/cpu.h>). */
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

bool cpu_irq_save(void)
{
    bool was_enabled = cpu_irq_enabled();
    cpu_irq_disable();
    return was_enabled;
}

void cpu_irq_restore(bool was_enabled)
{
    if (was_enabled)
        cpu_irq_enable();
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

void cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

uint64_t cpu_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
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

void cpu_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
               uint32_t *edx)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
    if (eax)
        *eax = a;
    if (ebx)
        *ebx = b;
    if (ecx)
        *ecx = c;
    if (edx)
        *edx = d;
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
