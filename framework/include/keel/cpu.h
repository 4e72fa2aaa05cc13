/* CPU control: interrupt flag, halting, control registers, time stamp counter.
 * Everything here may be called from any context unless it says otherwise. */
#ifndef KEEL_CPU_H
#define KEEL_CPU_H

#include <keel/types.h>

/* Disable maskable interrupts on this CPU (cli). */
void cpu_irq_disable(void);

/* Enable maskable interrupts on this CPU (sti). */
void cpu_irq_enable(void);

/* Disable interrupts and return whether they were enabled before, to be
 * handed to cpu_irq_restore(); pairs nest correctly. */
bool cpu_irq_save(void);

/* Re-enable interrupts if `was_enabled` (from cpu_irq_save) says so. */
void cpu_irq_restore(bool was_enabled);

/* Whether maskable interrupts are currently enabled on this CPU. */
bool cpu_irq_enabled(void);

/* Wait for the next interrupt (hlt). With interrupts disabled this never
 * returns on real hardware; use cpu_halt_forever() to stop on purpose. */
void cpu_halt(void);

/* Stop this CPU for good: interrupts off, then halt in a loop. */
KEEL_NORETURN void cpu_halt_forever(void);

/* Hint to the CPU that this is a busy-wait loop (pause). */
void cpu_relax(void);

/* Read the time stamp counter (rdtsc): a cycle count that only goes up. */
uint64_t cpu_rdtsc(void);

/* Read control registers CR0, CR2 (last page-fault address), CR3 (physical
 * address of the top-level page table) and CR4. */
uint64_t cpu_read_cr0(void);
/* See cpu_read_cr0. */
uint64_t cpu_read_cr2(void);
/* See cpu_read_cr0. */
uint64_t cpu_read_cr3(void);
/* See cpu_read_cr0. */
uint64_t cpu_read_cr4(void);

/* Load CR3 with the physical address of a top-level page table. This switches
 * address space and flushes non-global TLB entries. Kernel context only. */
void cpu_write_cr3(uint64_t value);

/* Read the RFLAGS register. */
uint64_t cpu_read_rflags(void);

/* Execute cpuid with the given leaf and subleaf; results in the four outputs. */
void cpu_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *eax, uint32_t *ebx, uint32_t *ecx,
               uint32_t *edx);

/* Read / write a model-specific register. */
uint64_t cpu_read_msr(uint32_t msr);
/* See cpu_read_msr. */
void cpu_write_msr(uint32_t msr, uint64_t value);

/* Invalidate the TLB entry for virtual address `va` on this CPU (invlpg). */
void cpu_invlpg(uintptr_t va);

#endif
