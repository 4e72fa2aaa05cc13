/* What the PC platform's files share among themselves (the interfaces to the
 * core and arch/ layers are in core/internal.h). Not part of the public API. */
#ifndef KEEL_PLATFORM_PC_H
#define KEEL_PLATFORM_PC_H

#include <keel/trap.h>
#include <keel/types.h>

/* ---- descriptors.c ---- */

/* The GDT's selectors, in the order syscall/sysret need (user_mode.c). */
#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_USER_DATA   0x18 /* user selectors are these | 3 */
#define GDT_USER_CODE   0x20
#define GDT_TSS         0x28

/* Load the IDT (first: from then on every fault is reported), then the GDT
 * with its TSS. */
void pc_descriptors_init(void);

/* The TSS's stack for double faults, for platform_stack_bounds. */
extern uintptr_t double_fault_stack_bottom, double_fault_stack_top;

/* ---- user_mode.c ---- */

/* Program the syscall/sysret MSRs. */
void pc_syscall_init(void);

/* Turn on SMEP and SMAP where the CPU has them. */
void pc_user_protection_init(void);

/* ---- trap_entry.S ---- */

/* 256 entry stubs, 16 bytes apart, one per vector (the IDT's
 * targets). */
extern char trap_stubs[];

/* ---- syscall.S ---- */

/* Where the syscall instruction enters the kernel (MSR_LSTAR). */
extern char syscall_entry[];

/* syscall_entry's copy of the TSS's rsp0 (descriptors.c keeps it equal). */
extern uint64_t kernel_tss_rsp0;

/* Start user code at `rip` with stack `rsp`, RDI = `arg`, interrupts on. */
KEEL_NORETURN void pc_iret_to_user(uintptr_t rip, uintptr_t rsp, uint64_t arg);

/* Load the whole trap frame (a copy on the kernel stack) and iretq to it. */
KEEL_NORETURN void pc_user_return_frame(struct trap_frame *frame);

/* ---- kernel_map.c ---- */

/* Map `size` bytes of device memory at physical `pa` (uncached) into the
 * kernel's address space, shared by every address space. */
void *pc_map_mmio(phys_addr_t pa, size_t size);

#endif
