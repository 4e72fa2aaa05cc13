/* platform_cpu_init on a PC: the first thing keel_start does. The order
 * matters: the IDT before anything that may fault, then the GDT and TSS the
 * syscall MSRs name, then the FPU/SSE (every thread and user program gets its
 * own state, arch/x86_64/threads.c) and SMEP/SMAP. */
#include <keel/cpu.h>

#include "../../core/internal.h"
#include "pc.h"

void platform_cpu_init(void)
{
    pc_descriptors_init();
    pc_syscall_init();
    /* FPU and SSE on: CR0.MP set, CR0.EM clear; CR4.OSFXSR and
     * CR4.OSXMMEXCPT set. */
    uint64_t cr0;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 = (cr0 | (1u << 1)) & ~(uint64_t)(1u << 2);
    __asm__ volatile("mov %0, %%cr0" ::"r"(cr0));
    uint64_t cr4 = cpu_read_cr4() | (1u << 9) | (1u << 10);
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
    __asm__ volatile("fninit");
    pc_user_protection_init();
}
