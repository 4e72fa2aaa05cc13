/* CPU control on the Linux platform (see <keel/cpu.h>). The interrupt flag is
 * a variable: masking and unmasking interrupts costs no system call, and a
 * signal that arrives while it is clear is remembered and delivered when it
 * is set again (see signals.c). Control registers and MSRs are emulated;
 * cpuid, rdtsc and pause are the real instructions (arch/x86_64/unprivileged.c),
 * and cpu_irq_save/restore core/irq.c's. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <keel/cpu.h>
#include <keel/paging.h>
#include <keel/panic.h>

#include "../../core/internal.h"
#include "linux.h"

struct linux_cpu linux_cpu;

#define BARRIER() __asm__ volatile("" ::: "memory")

void cpu_irq_disable(void)
{
    linux_cpu.irq_enabled = 0;
    BARRIER();
}

void cpu_irq_enable(void)
{
    BARRIER();
    linux_cpu.irq_enabled = 1;
    BARRIER();
    linux_irq_check();
}

bool cpu_irq_enabled(void)
{
    return linux_cpu.irq_enabled;
}

uint64_t cpu_read_rflags(void)
{
    uint64_t flags;
    __asm__ volatile("pushfq; popq %0" : "=r"(flags));
    return (flags & ~RFLAGS_IF) | (linux_cpu.irq_enabled ? RFLAGS_IF : 0);
}

/* hlt: sleep until a signal or input on the terminal arrives. The interrupt
 * signals are blocked while deciding, so one that comes in between cannot be
 * missed; ppoll unblocks them atomically while it sleeps. */
void cpu_halt(void)
{
    if (!linux_cpu.irq_enabled) {
        /* A PC would stop here for good: nothing can wake it. */
        for (;;)
            pause();
    }
    sigset_t old;
    linux_interrupt_signals(SIG_BLOCK, &old);
    if (linux_irq_next() < 0) {
        struct pollfd input = {.fd = STDIN_FILENO, .events = POLLIN};
        ppoll(&input, linux_stdin_open() ? 1 : 0, NULL, &old);
    }
    linux_interrupt_signals(SIG_SETMASK, NULL);
    linux_uart_poll_input();
    linux_irq_check();
}

void cpu_halt_forever(void)
{
    cpu_irq_disable();
    for (;;)
        pause();
}

/* CR0 as a PC has it in long mode: PE, MP, ET, NE, WP, AM, PG. */
uint64_t cpu_read_cr0(void)
{
    return 0x80050033ul;
}

uint64_t cpu_read_cr2(void)
{
    return linux_cpu.cr2;
}

uint64_t cpu_read_cr3(void)
{
    return linux_cpu.cr3;
}

/* CR4: PAE, PGE, OSFXSR, OSXMMEXCPT (no SMEP/SMAP: user memory is another
 * process here, never reachable by a kernel pointer). */
uint64_t cpu_read_cr4(void)
{
    return 0x6a0ul;
}

void cpu_write_cr3(uint64_t value)
{
    phys_addr_t root = value & PTE_ADDRESS_MASK;
    if (root != linux_cpu.cr3 && linux_cpu.cr3 != 0 && !linux_root_maps_kernel(root))
        panic("paging_switch(%#lx): this page table does not map the kernel's half (entries "
              "256-511 of the top-level table) as the kernel's own table does; on a PC the "
              "very next instruction fetch would fault and the machine would reset (a triple "
              "fault). Start new tables with paging_new_root()",
              root);
    linux_cpu.cr3 = value;
    linux_tlb_flush_all();
    linux_user_flushed(root);
}

void cpu_invlpg(uintptr_t va)
{
    linux_tlb_flush_page(va);
    if (va < USER_SPACE_END)
        linux_user_flushed(linux_cpu.cr3 & PTE_ADDRESS_MASK);
}

/* MSRs are kept in a small table: what is written reads back. */
#define MSR_SLOTS 32
static struct {
    uint32_t msr;
    bool used;
    uint64_t value;
} msrs[MSR_SLOTS];

uint64_t cpu_read_msr(uint32_t msr)
{
    for (int i = 0; i < MSR_SLOTS; i++)
        if (msrs[i].used && msrs[i].msr == msr)
            return msrs[i].value;
    return 0;
}

void cpu_write_msr(uint32_t msr, uint64_t value)
{
    for (int i = 0; i < MSR_SLOTS; i++) {
        if (!msrs[i].used || msrs[i].msr == msr) {
            msrs[i].used = true;
            msrs[i].msr = msr;
            msrs[i].value = value;
            return;
        }
    }
    panic("cpu_write_msr(%#x): more than %d different MSRs written", msr, MSR_SLOTS);
}
