/* Lab 3: what you implement, and what the tests expect of it.
 *   exceptions.c  describing CPU exceptions; recovering from breakpoints
 *   timer.c       timer ticks and uptime; serial input by interrupt
 *   syscall.c     the system-call dispatcher
 *   profile.c     (challenge part) a sampling profiler fed by the timer
 * Read lab3-trap/README.md first. The framework's side: <keel/trap.h> (the
 * trap frame, trap_set_handler) and <keel/interrupt.h> (APIC, timer, EOI). */
#ifndef LAB3_H
#define LAB3_H

#include <keel/errno.h>
#include <keel/interrupt.h>
#include <keel/keel.h>

/* ---- Part 1: exceptions.c ------------------------------------------------ */

/* Write a one-line description of exception `frame` into `buf` (capacity
 * `size`, NUL-terminated; returns the length as ksnprintf does):
 *   "<name> (vector N) at RIP 0x<16 hex digits>, error code 0x<hex>"
 * with <name> from trap_name(). For a page fault (vector 14) continue with
 *   "; address 0x<hex>: <access>, <cause>, <mode> mode"
 * where <access> is "write", "read" or "instruction fetch" (error code bits 1
 * and 4), <cause> is "page not present" or "protection violation" (bit 0),
 * and <mode> is "user" or "kernel" (bit 2). `fault_address` is CR2. */
int exception_describe(const struct trap_frame *frame, uint64_t fault_address, char *buf,
                       size_t size);

/* The handler for every exception except breakpoints: print
 * "Exception: " + exception_describe(...) (with cpu_read_cr2()) and return
 * false, so the framework then stops the kernel with its full report. */
bool exception_handler(struct trap_frame *frame);

/* The breakpoint handler (int3, vector 3): count it, print
 * "Breakpoint at RIP 0x…", and return true so execution continues after the
 * int3 instruction. */
bool breakpoint_handler(struct trap_frame *frame);

/* How many breakpoints breakpoint_handler has seen. */
uint64_t breakpoint_count(void);

/* ---- Part 2: timer.c ----------------------------------------------------- */

/* The timer handler (TIMER_VECTOR): count the tick, acknowledge the interrupt
 * (interrupt_eoi), return true. */
bool timer_handler(struct trap_frame *frame);

/* Timer interrupts seen so far. */
uint64_t timer_ticks(void);

/* Milliseconds of timer ticks: ticks * 1000 / timer_hz() (0 if stopped). */
uint64_t uptime_ms(void);

/* Make the UART at `base` interrupt when a byte arrives (IER bit 0; set
 * MCR's OUT2, bit 3, keeping MCR's other bits: on a PC OUT2 connects the
 * UART's interrupt line, and it may be clear before this call) and let
 * ISA_IRQ_COM1 through the I/O APIC (irq_unmask). */
void serial_interrupts_enable(uint16_t base);

/* The COM1 interrupt handler: move every received byte (while LSR bit 0 is
 * set) into the console's input with console_inject_input, acknowledge the
 * interrupt, return true. */
bool serial_interrupt_handler(struct trap_frame *frame);

/* ---- Part 3: syscall.c --------------------------------------------------- */

/* System calls arrive as `int $0x80` (SYSCALL_VECTOR): the number in RAX, up
 * to six arguments in RDI, RSI, RDX, R10, R8, R9 (Linux's order), the result
 * back in RAX. */
#define SYSCALL_VECTOR   0x80
#define SYSCALL_COUNT    4
#define SYS_WEIGHTED_SUM 0 /* a0*1 + a1*2 + … + a5*6: tests argument order */
#define SYS_TICKS        1 /* timer_ticks() */
#define SYS_BREAKPOINTS  2 /* breakpoint_count() */
#define SYS_NEGATE       3 /* -a0 */

/* A system call's implementation: the six argument registers in, the
 * result (or a negative error number) out. */
typedef long (*syscall_handler_t)(long a0, long a1, long a2, long a3, long a4, long a5);

/* Indexed by system-call number (syscall_table.c). */
extern const syscall_handler_t syscall_table[SYSCALL_COUNT];

/* Look up frame->rax in syscall_table, call it with the six argument
 * registers, store its result in frame->rax. An unknown number (negative or
 * too large) gets -ENOSYS without calling anything. */
void syscall_dispatch(struct trap_frame *frame);

/* The SYSCALL_VECTOR handler: syscall_dispatch, then return true. */
bool syscall_handler(struct trap_frame *frame);

/* ---- The challenge part: profile.c, a sampling profiler ------------------
 * While profiling, every timer tick records the RIP it interrupted (a
 * sample); where the samples pile up is where the CPU spends its time. Read
 * "Challenge part" in lab3-trap/README.md. */

/* Kernel-mode samples the table holds; more are counted as dropped. */
#define PROFILE_MAX_SAMPLES 2048
/* What a sample keeps: the RIP, then up to PROFILE_MAX_DEPTH - 1 return
 * addresses of its callers, innermost first. */
#define PROFILE_MAX_DEPTH 4

/* What a profile saw since profile_start. Every tick is counted exactly
 * once: ticks == kernel + user + dropped. */
struct profile_stats {
    uint64_t ticks;   /* samples offered (profile_tick or profile_record) */
    uint64_t kernel;  /* kernel-mode samples recorded in the table */
    uint64_t user;    /* samples that interrupted user mode: counted, not recorded */
    uint64_t dropped; /* kernel-mode samples that found the table full */
};

/* One line of the histogram: a function and how many samples fell in it. */
struct profile_entry {
    const char *function; /* symbol_lookup's name; NULL: not in a known function */
    uintptr_t start;      /* the function's first address (0 for NULL) */
    uint64_t count;
};

/* Forget every sample and counter, and start profiling: from now on
 * profile_tick records. Kernel context, any time. */
void profile_start(void);

/* Stop profiling: profile_tick records nothing more; the samples stay for
 * profile_stats, profile_histogram and profile_report. */
void profile_stop(void);

/* timer_handler calls this for every tick, before anything else: while
 * profiling, profile_record(frame->rip, frame->rbp, frame came from user
 * mode (the low two bits of frame->cs are 3)); nothing otherwise.
 * Interrupt context. */
void profile_tick(const struct trap_frame *frame);

/* Take one sample at `rip` (while profiling; nothing otherwise): count it;
 * a user-mode one only counts, a kernel-mode one goes in the table, or, with
 * PROFILE_MAX_SAMPLES already there, counts as dropped. Never writes outside
 * the table. A kernel sample also keeps its callers: from frame pointer
 * `rbp` (0: none), the return address saved at rbp + 8, then the next frame
 * pointer saved at rbp, up to PROFILE_MAX_DEPTH - 1 of them; the walk stops
 * at a frame pointer that is not 8-aligned, does not lie above the last one,
 * or cannot be read (read it with safe_read8: a tick can come anywhere), or
 * at a return address of 0. Any context (the tests also call it directly). */
void profile_record(uintptr_t rip, uintptr_t rbp, bool user);

/* The counters since profile_start, copied into `out`. */
void profile_get_stats(struct profile_stats *out);

/* The table's samples by function (symbol_lookup; samples outside every
 * known function together as one entry with function NULL), hottest first:
 * count descending, then name ascending (NULL's name is "?"). Fills the
 * first min(max, n) entries of `out` and returns n, the number of distinct
 * functions. Call it with profiling stopped. Kernel context. */
size_t profile_histogram(struct profile_entry *out, size_t max);

/* How many kernel samples in the table have `function` (a name, as
 * symbol_lookup gives it) anywhere on their stack: the RIP, or a return
 * address kept (looked up as address - 1: the call, not the instruction
 * after it). A sample counts once, however often the function recurses in
 * it. Call it with profiling stopped. Kernel context. */
uint64_t profile_inclusive(const char *function);

/* Write the report into `buf` (capacity `size`, NUL-terminated; returns the
 * length it needed, as ksnprintf does). Call it with profiling stopped. The
 * first line:
 *   "profile: <ticks> samples: <kernel> kernel, <user> user, <dropped> dropped\n"
 * then one line per function for the `top` hottest (profile_histogram's
 * order), "%6lu %3lu.%lu%% %s\n": count, its share of the kernel samples in
 * tenths of a percent rounded down (count * 1000 / kernel, as whole and
 * tenth), name ("?" for NULL); then, if more functions had samples,
 * "%6lu in <k> more functions\n" with their samples together. */
int profile_report(char *buf, size_t size, size_t top);

/* ---- Installing ---------------------------------------------------------- */

/* Install the handlers above with trap_set_handler: exception_handler for
 * vectors 0-31 except 3, breakpoint_handler for 3, timer_handler for
 * TIMER_VECTOR, serial_interrupt_handler for irq_vector(ISA_IRQ_COM1),
 * syscall_handler for SYSCALL_VECTOR. */
void lab3_install(void);

#endif
