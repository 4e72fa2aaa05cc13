/* Every interface between the framework's three layers: the portable core/,
 * the x86_64 code every platform compiles (arch/x86_64/), and the machine it
 * runs on (platform/pc/ or platform/linux/). Not part of the public API: labs
 * never include this.
 *
 * One heading per file (or per hook every platform implements), naming where
 * the definition lives, as xv6's defs.h does: to find a function, read its
 * heading. Hooks a platform implements are named platform_*; the x86_64
 * layer's are named arch_*. What only one platform's files share stays in
 * that platform's own header (platform/pc/pc.h, platform/linux/linux.h). */
#ifndef KEEL_CORE_INTERNAL_H
#define KEEL_CORE_INTERNAL_H

#include <keel/bootinfo.h>
#include <keel/trap.h>
#include <keel/types.h>

struct thread;

/* ==== core/ ================================================================ */

/* ---- core/start.c ---- */

/* The first C function: the platform's boot code (platform/pc/boot.S,
 * platform/linux/boot.S) calls it on the boot stack with interrupts off,
 * with what the boot loader passed. Never returns. */
void keel_start(uint32_t magic, uint32_t boot_address);

/* ---- core/bootinfo.c ---- */

/* Parse a Multiboot2 block (reachable through the direct map) into `info`. */
void bootinfo_from_multiboot2(const struct mb2_info *mbi, struct boot_info *info);

/* The framework's struct boot_info, to be filled once by keel_start;
 * boot_info_get() returns it from then on. */
struct boot_info *bootinfo_storage(void);

/* ---- core/mb2_builder.c ---- */

/* The kernel's copy of the Multiboot2 block: either mb2_builder_copy(block
 * GRUB left), or mb2_builder_begin, tags, then mb2_builder_finish.
 * mb2_builder_block() is the result. */
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

/* ---- core/programs.c ---- */

/* Index the boot modules (see <keel/programs.h>). After mm_init. */
void programs_init(const struct boot_info *info);

/* ---- core/physical_memory.c ---- */

/* Set up the page array from the memory map, mark the kernel, boot data and
 * reserved regions, then build the kernel's page table
 * (kernel_page_table_init). */
void mm_init(const struct boot_info *info);

/* What the framework records of a frame besides its struct page, for the
 * leak check (core/leak.c): who holds the block (its first frame's record
 * says) and when it was allocated. An array after the page array. */
struct frame_record {
    uint32_t serial; /* alloc_serial when the block was allocated */
    uint8_t kind;    /* enum frame_kind */
};

/* The record of frame number `pfn`, or NULL beyond the last frame. */
struct frame_record *frame_record_of(uint64_t pfn);

/* ---- core/frame.c ---- */

/* Who holds a frame block. Only what labs hold (LAB, PAGE_TABLE) can leak:
 * the framework keeps the others on purpose (the heap its slabs, the
 * framework its data) or accounts for them elsewhere (a thread's stack goes
 * with the thread, a large heap block is a heap block). */
enum frame_kind {
    FRAME_KIND_LAB,        /* frame_alloc: the default */
    FRAME_KIND_PAGE_TABLE, /* paging_new_root, or allocated inside the lab's page-table code */
    FRAME_KIND_STACK,      /* a kernel thread's stack (PC) */
    FRAME_KIND_HEAP_SLAB,  /* carved into small heap blocks, kept by the heap */
    FRAME_KIND_HEAP_LARGE, /* one large heap block */
    FRAME_KIND_FRAMEWORK,  /* framework data for good (mm_early_alloc_frame) */
    FRAME_KIND_COUNT,
};

/* Frames (4 KiB each) allocated and not yet freed, per kind. */
extern uint64_t frames_live[FRAME_KIND_COUNT];

/* The serial number of the last allocation, frames and heap blocks alike:
 * everything allocated after a moment has a larger one (modulo 2^32). */
extern uint32_t alloc_serial;

/* frame_alloc (zeroed if asked) of a block of `kind`, recorded as allocated
 * at `site`: for framework code allocating on a caller's behalf. */
phys_addr_t frame_alloc_as(unsigned order, enum frame_kind kind, uintptr_t site, bool zeroed);

/* Make `kind` the kind of every frame_alloc the running thread makes from
 * now on (FRAME_KIND_LAB again when done); returns the previous one.
 * address_space.c sets FRAME_KIND_PAGE_TABLE while the lab's page-table
 * code runs. */
enum frame_kind frame_kind_set_default(enum frame_kind kind);

/* ---- core/kernel_page_table.c ---- */

/* Build the kernel's page table and switch to it (the boot identity map is
 * gone): the kernel image as the platform maps it (platform_map_kernel_image),
 * then the direct map of [0, max_phys) at KERNEL_TABLES_DIRECT_MAP. Called
 * by mm_init once the early frame allocator works. */
void kernel_page_table_init(phys_addr_t max_phys);

/* The kernel's top-level page table, and PTE_NO_EXECUTE if the CPU has it
 * (else 0); both set by kernel_page_table_init. */
extern phys_addr_t kernel_root_table;
extern uint64_t kernel_no_execute;

/* ---- core/console.c ---- */

/* Write a NUL-terminated string straight to the early console. */
void console_early_write_str(const char *s);

/* ---- core/heap.c ---- */

/* Look through the heap's small blocks for damage (a header or a guard
 * overwritten) and report the first as a bug caught at `caller`; return if
 * there is none. For reports of a bug that damage may explain. */
void heap_check_all(uintptr_t caller);

/* Who holds a heap block, for the leak check: what labs allocate, the
 * threads they create (thread_new's struct), or the framework for good (the
 * idle thread). */
enum heap_kind {
    HEAP_KIND_LAB,
    HEAP_KIND_THREAD,
    HEAP_KIND_FRAMEWORK,
    HEAP_KIND_COUNT,
};

/* Live heap blocks, per kind. */
extern uint64_t heap_live_blocks[HEAP_KIND_COUNT];

/* kzalloc of a block of `kind`, recorded as allocated at `site`. */
void *heap_alloc_as(size_t size, enum heap_kind kind, uintptr_t site);

/* Call visit(block, size, kind, site, context) for every live heap block
 * allocated after alloc_serial was `since`. For the leak check's report:
 * it walks every heap frame. */
void heap_for_each_since(uint32_t since,
                         void (*visit)(void *block, size_t size, enum heap_kind kind,
                                       uintptr_t site, void *context),
                         void *context);

/* ---- core/protocol.c ---- */

/* Take this run's grader nonce (keel.nonce=) out of the command line, in
 * place, and keep it for protocol_emit. Called by keel_start before the
 * kernel's own code can read the command line. */
void protocol_take_nonce(char *cmdline);

/* With keel.nonce=console, read the nonce from the serial line (waiting up to
 * 10 s for it). Called by keel_start once time can be told, before the
 * kernel's own code runs. */
void protocol_receive_nonce(void);

/* ---- core/panic.c ---- */

/* Whether a panic is in progress (console and protocol stop taking locks). */
extern volatile int panic_in_progress;

/* ---- core/irq.c ---- */

/* Time stamp counter ticks per millisecond and its value at boot, set by
 * platform_interrupts_init; time_ns counts from there. */
extern uint64_t tsc_per_ms, tsc_at_boot;

/* The interrupt-mask nesting state a thread takes with it across switches. */
bool irq_enabled_before(void);
/* See irq_enabled_before. */
void irq_state_restore(unsigned nesting, bool enabled_before);

/* ---- core/thread.c ---- */

/* The first thing a new thread runs (from thread_trampoline): ends the
 * scheduler's interrupt mask. */
void thread_started(void);

/* Whether a timer tick could preempt the running thread right here: a
 * thread other than idle runs, with interrupts enabled and nothing masked. */
bool thread_preemptible_here(void);
/* Preempt the running thread as a tick would (thread_preemptible_here must
 * hold); returns when it runs again. */
void thread_preempt_here(void);

/* ---- core/perturb.c ---- */

/* Whether schedule perturbation is armed (schedule_perturb_start); every
 * hook below is called only while it is. */
extern bool perturb_active;
/* A perturbation point: maybe preempt the running thread, if it could be
 * preempted here. Any context. */
void perturb_point(void);
/* A preempting timer tick at `hz` (scheduler_start's rate): set a random
 * period for the next tick; true if this tick must preempt. */
bool perturb_tick(unsigned hz);
/* `thread` went to sleep, calling schedule() from `site`. */
void perturb_note_sleep(struct thread *thread, uintptr_t site);
/* `thread` was made ready, or freed: it sleeps no more. */
void perturb_note_awake(struct thread *thread);
/* A switch to the idle thread (`to_idle`) or to any other. */
void perturb_note_switch(bool to_idle);
/* From the idle loop: report every thread asleep for too long. */
void perturb_check_idle(void);

/* ==== arch/x86_64/ ========================================================= */

/* The x86_64 address-space layout both platforms' page tables follow: the
 * kernel image at KERNEL_VMA + its physical address, the direct map of
 * physical memory at KERNEL_TABLES_DIRECT_MAP. (The Linux platform's kernel
 * reaches memory elsewhere: platform_direct_map_base.) */
#define KERNEL_VMA               0xffffffff80000000ul
#define KERNEL_TABLES_DIRECT_MAP 0xffff800000000000ul

/* ---- arch/x86_64/trap.c ---- */

/* Handle the trap in `frame`: a fault fixup (safe.S), the registered
 * handler, or the framework's report and the end of the run. Called by every
 * platform's trap entry with interrupts off. */
void trap_dispatch(struct trap_frame *frame);

/* Print the general registers of `frame` (or of the caller if NULL). */
void arch_print_registers(const struct trap_frame *frame);

/* Report a system-call handler that set a non-canonical return address
 * (sysret would fault in kernel mode on the user's stack). */
KEEL_NORETURN void syscall_bad_return(uint64_t rip);

/* ---- arch/x86_64/page_mapper.c ---- */

/* PTE_NO_EXECUTE if this CPU can refuse instruction fetches, else 0. */
uint64_t arch_probe_no_execute(void);

/* Map one 4 KiB page in the address space `root` with the framework's own
 * simple page-table code (tables from mm_early_alloc_frame). For the
 * framework's internal use and its tests; labs bring their own. */
int arch_map_page(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags);

/* Remove the 4 KiB mapping of `va` made by arch_map_page and flush it;
 * returns the frame it mapped, 0 if none. */
phys_addr_t arch_unmap_page(phys_addr_t root, uintptr_t va);

/* The entry at `level` (4 = PML4 … 1 = page table) for `va` in the kernel's
 * page table, creating the tables above it. */
uint64_t *arch_kernel_entry(uintptr_t va, int level);

/* ---- arch/x86_64/threads.c ---- */

/* Prepare a new thread's stack so that switching to it starts
 * thread_trampoline, which calls entry(arg); returns the saved stack pointer. */
uintptr_t arch_context_init(uintptr_t stack_top, uintptr_t entry, uintptr_t arg);

/* Fill `area` (512 bytes, 16-aligned) with a clean FPU/SSE state. */
void arch_fpu_init(uint8_t *area);

/* ---- arch/x86_64/switch.S ---- */

/* Save `from`'s callee-saved registers and FPU state, load `to`'s. */
void arch_context_switch(struct thread *from, struct thread *to);

/* ==== platform/pc/ or platform/linux/: what every platform implements ===== */

/* ---- CPU and interrupts (pc: cpu_init.c, interrupt_controller.c;
 *      linux: main.c, interrupts.c) ---- */

/* Load the GDT (with a TSS and a separate double-fault stack) and the IDT,
 * or what stands for them. The first thing keel_start does, so that any
 * later fault is reported. */
void platform_cpu_init(void);

/* Set up the interrupt controllers (masked) and calibrate the clocks
 * (tsc_per_ms). After mm_init. */
void platform_interrupts_init(void);

/* ---- memory (pc: kernel_map.c, stacks.c, memory_checker.c;
 *      linux: main.c, memory.c, usermode.c) ---- */

/* Where the kernel reaches physical address 0: KERNEL_TABLES_DIRECT_MAP on a
 * PC; on the Linux platform, where the process maps its memory file (the
 * lower half of the address space). phys_to_virt adds this. */
extern const uintptr_t platform_direct_map_base;

/* Map the kernel image into the kernel's page table (kernel_root_table,
 * through arch_kernel_entry), and say which physical range the direct map
 * must keep read-only ([*read_only_start, *read_only_end); empty if none).
 * Called by kernel_page_table_init before the direct map is built. */
void platform_map_kernel_image(phys_addr_t *read_only_start, phys_addr_t *read_only_end);

/* A kernel stack of THREAD_STACK_SIZE or more with an unmapped guard page
 * below. */
bool platform_stack_create(uintptr_t *bottom, uintptr_t *top);
/* See platform_stack_create. */
void platform_stack_destroy(uintptr_t bottom, uintptr_t top);

/* Kernel stack bounds for backtraces: [*bottom, *top) of the stack that
 * contains `rsp`, or false if `rsp` is on no known stack. */
bool platform_stack_bounds(uintptr_t rsp, uintptr_t *bottom, uintptr_t *top);

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

/* ---- user mode (pc: user_mode.c; linux: user.c, usermode.c) ---- */

/* The stack the CPU switches to on a trap or system call from user mode. */
void platform_set_kernel_stack(uintptr_t top);

/* Copy `size` bytes from user address `user_src` to `dst`, or to user
 * address `user_dst` from `src`. The core (core/user_memory.c) has checked
 * the range in the page tables; these do the copy alone, and return false
 * if it faulted (the page tables changed meanwhile) rather than fault the
 * kernel. */
bool platform_user_read(void *dst, uintptr_t user_src, size_t size);
/* See platform_user_read. */
bool platform_user_write(uintptr_t user_dst, const void *src, size_t size);

/* Run user code with every register as in `frame`, a ring-3 frame with
 * interrupts on that user_return has checked (and may be a copy on the
 * caller's stack). Never returns. */
KEEL_NORETURN void platform_user_return(struct trap_frame *frame);

/* ---- devices and boot (pc: io.c, early_console.c, boot_info.c;
 *      linux: uart.c, main.c) ---- */

/* A port read or write (`width` 1, 2 or 4 bytes) that no test mock covers:
 * the hardware on a PC, the device models on the Linux platform. */
uint32_t platform_port_read(uint16_t port, int width);
/* See platform_port_read. */
void platform_port_write(uint16_t port, int width, uint32_t value);

/* Set up and write to the platform's early console (polled, no interrupts). */
void platform_early_console_init(void);
/* See platform_early_console_init. */
void platform_early_console_write(const char *buf, size_t len);
/* Read a byte from the early console, -1 if none. */
int platform_early_console_read(void);

/* Fill `info` from what the boot loader passed (magic, physical address of its
 * block), building a Multiboot2 block if the loader did not give one. Uses the
 * boot identity/direct map, so it runs before mm_init. */
void platform_parse_boot_info(uint32_t magic, uint32_t address, struct boot_info *info);

/* ---- the end of a run and lock-down (pc: power.c, lockdown.c;
 *      linux: power.c, lockdown.c) ---- */

/* End the run with `status` (see <keel/power.h>) as the platform allows. */
KEEL_NORETURN void platform_power_off(int status);

/* Reset the machine. */
KEEL_NORETURN void platform_reboot(void);

/* The machine is set up and kernel code is about to run: keep it to what
 * the platform needs from now on (the Linux platform's system-call
 * allow-list; nothing on a PC). */
void platform_lock_down(void);

/* ==== the linker script (platform/pc/kernel.ld; on the Linux platform the
 * Makefile's LINUX_LDFLAGS) and the boot stack (boot.S) ==================== */

extern char __kernel_phys_start[], __kernel_phys_end[], __kernel_virtual_offset[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_start[], __bss_end[], __kernel_end[];
extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];
/* The symbol table the second link adds (tools/mksyms.py; core/symbols.c). */
extern const uint8_t __keel_symbols_start[], __keel_symbols_end[];

#endif
