/* Interfaces between the framework's portable core and the architecture and
 * platform code. Not part of the public API: labs never include this. */
#ifndef KEEL_CORE_INTERNAL_H
#define KEEL_CORE_INTERNAL_H

#include <keel/bootinfo.h>
#include <keel/trap.h>
#include <keel/types.h>

/* ---- provided by arch/ ---- */

/* Load the GDT (with a TSS and a separate double-fault stack) and the IDT.
 * The first thing keel_start does, so that any later fault is reported. */
void arch_cpu_init(void);

/* Build the kernel's page table: kernel image with per-section permissions,
 * a guard page below the boot stack, the direct map of [0, max_phys) at
 * KEEL_DIRECT_MAP_BASE; then switch to it (the boot identity map is gone). */
void arch_paging_init(phys_addr_t max_phys);

/* Map `size` bytes of device memory at physical `pa` (uncached) into the
 * kernel's address space, shared by every address space. */
void *arch_map_mmio(phys_addr_t pa, size_t size);

/* Mask the legacy PICs, enable the local APIC, mask the I/O APIC, calibrate
 * the timers. After arch_paging_init. */
void arch_interrupts_init(void);

/* Time stamp counter ticks per millisecond and its value at boot, set by
 * arch_interrupts_init; time_ns counts from there. */
extern uint64_t arch_tsc_per_ms, arch_tsc_at_boot;

/* The stack the CPU switches to on a trap or system call from user mode. */
void arch_set_kernel_stack(uintptr_t top);

/* Program the syscall/sysret MSRs (called by arch_cpu_init). */
void arch_syscall_init(void);

/* Map one 4 KiB page in the address space `root` with the framework's own
 * simple page-table code (tables from frame_alloc_zeroed). For the
 * framework's internal use and its tests; labs bring their own. */
int arch_map_page(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags);

/* Remove the 4 KiB mapping of `va` made by arch_map_page and flush it;
 * returns the frame it mapped, 0 if none. */
phys_addr_t arch_unmap_page(phys_addr_t root, uintptr_t va);

/* The kernel's top-level page table, and PTE_NO_EXECUTE if the CPU has it
 * (else 0); both set by arch_paging_init. */
extern phys_addr_t arch_kernel_root;
extern uint64_t arch_no_execute;

/* The entry at `level` (4 = PML4 … 1 = page table) for `va` in the kernel's
 * page table, creating the tables above it. */
uint64_t *arch_kernel_entry(uintptr_t va, int level);

/* A kernel stack of THREAD_STACK_SIZE with an unmapped guard page below. */
bool arch_stack_create(uintptr_t *bottom, uintptr_t *top);
/* See arch_stack_create. */
void arch_stack_destroy(uintptr_t bottom, uintptr_t top);

/* Prepare a new thread's stack so that switching to it starts
 * thread_trampoline, which calls entry(arg); returns the saved stack pointer. */
uintptr_t arch_context_init(uintptr_t stack_top, uintptr_t entry, uintptr_t arg);

/* Fill `area` (512 bytes, 16-aligned) with a clean FPU/SSE state. */
void arch_fpu_init(uint8_t *area);

/* The interrupt-mask nesting state a thread takes with it across switches. */
bool arch_irq_enabled_before(void);
/* See arch_irq_enabled_before. */
void arch_irq_state_restore(unsigned nesting, bool enabled_before);

/* Kernel stack bounds for backtraces: [*bottom, *top) of the stack that
 * contains `rsp`, or false if `rsp` is on no known stack. */
bool arch_stack_bounds(uintptr_t rsp, uintptr_t *bottom, uintptr_t *top);

/* Print the general registers of `frame` (or of the caller if NULL). */
void arch_print_registers(const struct trap_frame *frame);

/* ---- provided by platform/ ---- */

/* A port read or write (`width` 1, 2 or 4 bytes) that no test mock covers:
 * the hardware on a PC, the device models on the Linux platform. */
uint32_t platform_port_read(uint16_t port, int width);
/* See platform_port_read. */
void platform_port_write(uint16_t port, int width, uint32_t value);

/* Tell the platform's memory checker (AddressSanitizer on the Linux
 * platform; nothing on a PC, where the heap's guards and the frame poison
 * are the checks) that [addr, addr + size) is dead: any access to it is a
 * bug to report, with both stacks. The heap and the frame allocator call
 * these as blocks come and go. */
void platform_memory_poison(const void *addr, size_t size);
/* The memory is live again. See platform_memory_poison. */
void platform_memory_unpoison(const void *addr, size_t size);

/* Frames [block, block + 2^order pages) were just freed (frame_free). On
 * the Linux platform a freed top-level table ends the child process that
 * held that address space; nothing on a PC. */
void platform_frames_freed(phys_addr_t block, unsigned order);

/* Report a system-call handler that set a non-canonical return address
 * (sysret would fault in kernel mode on the user's stack). */
KEEL_NORETURN void syscall_bad_return(uint64_t rip);

/* Set up and write to the platform's early console (polled, no interrupts). */
void platform_early_console_init(void);
/* See platform_early_console_init. */
void platform_early_console_write(const char *buf, size_t len);
/* Read a byte from the early console, -1 if none. */
int platform_early_console_read(void);

/* Fill `info` from what the boot loader passed (magic, physical address of its
 * block), building a Multiboot2 block if the loader did not give one. Uses the
 * boot identity/direct map, so it runs before arch_paging_init. */
void platform_parse_boot_info(uint32_t magic, uint32_t address, struct boot_info *info);

/* End the run with `status` (see <keel/power.h>) as the platform allows. */
KEEL_NORETURN void platform_power_off(int status);

/* Reset the machine. */
KEEL_NORETURN void platform_reboot(void);

/* ---- provided by core/ ---- */

/* Parse a Multiboot2 block (reachable through the direct map) into `info`. */
void bootinfo_from_multiboot2(const struct mb2_info *mbi, struct boot_info *info);

/* The kernel's copy of the Multiboot2 block (core/mb2_builder.c): either
 * mb2_builder_copy(block GRUB left), or mb2_builder_begin, tags, then
 * mb2_builder_finish. mb2_builder_block() is the result. */
void mb2_builder_begin(void);
/* Append a tag of `size` bytes (header included) and return it zeroed. */
void *mb2_add_tag(uint32_t type, uint32_t size);
/* Append a string tag (command line, boot loader name). */
void mb2_add_string(uint32_t type, const char *text);
/* See mb2_builder_begin. */
void mb2_builder_finish(void);
/* See mb2_builder_begin. */
void mb2_builder_copy(const struct mb2_info *original);
/* See mb2_builder_begin. */
const struct mb2_info *mb2_builder_block(void);

/* Index the boot modules (see <keel/programs.h>). After mm_init. */
void programs_init(const struct boot_info *info);

/* The framework's struct boot_info, to be filled once by keel_start;
 * boot_info_get() returns it from then on. */
struct boot_info *bootinfo_storage(void);

/* Set up the page array from the memory map and mark the kernel, boot data
 * and reserved regions. */
void mm_init(const struct boot_info *info);

/* Write a NUL-terminated string straight to the early console. */
void console_early_write_str(const char *s);

/* The machine is set up and kernel code is about to run: keep it to what
 * the platform needs from now on (the Linux platform's system-call
 * allow-list; nothing on a PC). */
void platform_lock_down(void);

/* Look through the heap's small blocks for damage (a header or a guard
 * overwritten) and report the first as a bug caught at `caller`; return if
 * there is none. For reports of a bug that damage may explain. */
void heap_check_all(uintptr_t caller);

/* Take this run's grader nonce (keel.nonce=) out of the command line, in
 * place, and keep it for protocol_emit. Called by keel_start before the
 * kernel's own code can read the command line. */
void protocol_take_nonce(char *cmdline);

/* With keel.nonce=console, read the nonce from the serial line (waiting up to
 * 10 s for it). Called by keel_start once time can be told, before the
 * kernel's own code runs. */
void protocol_receive_nonce(void);

/* Whether a panic is in progress (console and protocol stop taking locks). */
extern volatile int panic_in_progress;

/* Linker-script symbols. */
extern char __kernel_phys_start[], __kernel_phys_end[], __kernel_virtual_offset[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_start[], __bss_end[], __kernel_end[];
extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];

#endif
