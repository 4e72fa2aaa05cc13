/* The Linux platform's internal interfaces: the kernel runs as an ordinary
 * Linux process. "Physical memory" is a memfd mapped at LINUX_DIRECT_MAP_BASE;
 * the CPU's interrupt flag, control registers and TLB are emulated here;
 * exceptions and interrupts arrive as signals and are turned into the same
 * trap frames the PC's entry stubs build. Not part of the public API. */
#ifndef KEEL_PLATFORM_LINUX_H
#define KEEL_PLATFORM_LINUX_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/trap.h>
#include <keel/types.h>

/* Kernel virtual addresses in [start, end) are translated through the
 * emulated CR3 by a software TLB (memory.c): what a lab maps there with its
 * own page tables really appears at that address once the kernel touches
 * it, with the permissions of the entry. Chosen to be free in a Linux
 * process with AddressSanitizer (whose shadow ends at 0x10007fff8000, just below, and
 * whose heap starts at 0x600000000000). */
#define LINUX_TLB_WINDOW_START 0x110000000000ul
#define LINUX_TLB_WINDOW_END   0x400000000000ul

/* Where the kernel process maps its physical memory (platform_direct_map_base):
 * a Linux process has only the lower half of the address space, so not
 * where the page tables put the direct map (KERNEL_TABLES_DIRECT_MAP). */
#define LINUX_DIRECT_MAP_BASE 0x500000000000ul

/* The RFLAGS interrupt flag. */
#define RFLAGS_IF 0x200ul

/* The signals that carry interrupts: the timer, and a self-sent one that
 * delivers what was raised while interrupts were masked. */
#define LINUX_TIMER_SIGNAL  SIGALRM
#define LINUX_REPLAY_SIGNAL SIGUSR1
/* What a grader sends to a kernel that stopped making progress: print the
 * registers and backtrace, then exit. */
#define LINUX_HANG_SIGNAL SIGUSR2

/* The emulated CPU (one CPU). */
struct linux_cpu {
    volatile sig_atomic_t irq_enabled; /* the interrupt flag */
    volatile uint64_t pending[4];      /* vectors raised but not delivered */
    volatile uint64_t in_service[4];   /* vectors delivered but not acknowledged */
    uint64_t cr2, cr3;
};
extern struct linux_cpu linux_cpu;

/* Make what user mode needs that would take system calls the lock-down
 * (lockdown.c) forbids. */
void linux_user_prepare(void);

/* The memfd behind physical memory, and its size. */
extern int linux_memfd;
extern uint64_t linux_ram_bytes;

/* Raise interrupt `vector` (as a device would), delivered when the interrupt
 * flag and the in-service vectors allow. Async-signal-safe. */
void linux_irq_raise(unsigned vector);
/* Forget a raised interrupt that has not been delivered yet (a device that
 * stopped asserting it). Async-signal-safe. */
void linux_irq_withdraw(unsigned vector);
/* The highest vector that could be delivered now, or -1. */
int linux_irq_next(void);
/* If an interrupt could be delivered now, have it delivered (by signalling
 * ourselves). Called when the interrupt flag or the in-service set changes. */
void linux_irq_check(void);

/* Take the interrupt linux_irq_next() names for delivery: no longer
 * pending, now in service. Its vector, or -1 if none can be delivered. */
int linux_irq_take(void);

/* Whether ISA interrupt line `isa_irq` is unmasked (irq_unmask). */
bool linux_irq_line_unmasked(unsigned isa_irq);

/* Install the signal handlers (exceptions, interrupts, hang reports) and the
 * system-call filter that turns `int $0x80` into a trap. */
void linux_signals_init(void);
/* Block / unblock the interrupt signals (around a wait for one). */
void linux_interrupt_signals(int how, sigset_t *old);

/* Memory (memory.c). What `va` means in the page tables at `root`: the 4 KiB frame through
 * `pa`, and the flags that hold at every level (PTE_WRITABLE and PTE_USER
 * only if every level has them, PTE_NO_EXECUTE if any has it) through
 * `flags`. False if some level is not present or a table lies outside
 * physical memory. The walk never leaves physical memory, since it may run
 * in a signal handler on a lab's broken tables. */
bool linux_translate(phys_addr_t root, uintptr_t va, phys_addr_t *pa, uint64_t *flags);

/* The software TLB (memory.c). Fill it for a kernel access to `va` with page
 * fault error code `error`; false if the emulated page tables do not allow
 * it (a real page fault). Async-signal-safe. */
bool linux_tlb_fill(uintptr_t va, uint64_t error);
/* Forget every cached translation / the one for `va`. */
void linux_tlb_flush_all(void);
/* See linux_tlb_flush_all (the one for `va` drops the 2 MiB around it). */
void linux_tlb_flush_page(uintptr_t va);
/* Whether `root` maps the kernel's half as the kernel's own page table
 * does; if not, the CPU would fault on its next instruction. */
bool linux_root_maps_kernel(phys_addr_t root);
/* Bounds of the alternate stack the exception handlers run on (signals.c). */
extern uint8_t linux_signal_stack[];
#define LINUX_SIGNAL_STACK_SIZE (64 * 1024)

/* The 16550 UART model on COM1 (uart.c): poll stdin into its receive FIFO
 * (raising its interrupt if enabled), and whether stdin is still open. */
void linux_uart_poll_input(void);
bool linux_stdin_open(void);
/* Write bytes to the terminal (standard output), unbuffered. */
void linux_console_write(const char *buf, size_t len);

/* The terminal (terminal.c): raw mode if standard input is one (an
 * interactive run), and back as it was. */
void linux_terminal_raw(void);
/* See linux_terminal_raw. */
void linux_terminal_restore(void);

/* User mode (usermode*.c; see usermode.h). The page tables at `root` were
 * flushed (a CR3 load, or tlb_flush_page while `root` was loaded): the
 * child process behind that address space checks its pages before it runs
 * again. */
void linux_user_flushed(phys_addr_t root);
/* End every child process that holds an address space, so none outlives
 * the kernel. Async-signal-safe. */
void linux_user_end_all(void);
/* If user code is running, stop it and print where it is (for a hang
 * report); false if the kernel itself is running. Async-signal-safe. */
bool linux_user_print_state(void);

/* Print where the kernel is (registers, backtrace) for a hang report
 * (main.c). */
void linux_print_hang_report(const struct trap_frame *frame);

/* The end of a run (power.c). The exit code of a run that ended with a reset (platform_reboot). */
#define LINUX_EXIT_RESET 64

/* Exit the process with `status` as QEMU's isa-debug-exit would: (status <<
 * 1) | 1, so tools read both platforms' exit codes alike. */
KEEL_NORETURN void linux_exit(int status);

/* clone(2) with `flags`, the child running entry(argument) on the stack that
 * ends at `stack_top` (boot.S); entry never returns. The child's pid, or a
 * negative errno. */
long linux_clone_on_stack(unsigned long flags, uintptr_t stack_top,
                          KEEL_NORETURN void (*entry)(uint64_t), uint64_t argument);

/* Start the kernel on its boot stack (boot.S): keel_start(magic, address). */
KEEL_NORETURN void linux_boot(uint32_t magic, uint32_t address, uintptr_t stack_top);

#endif
