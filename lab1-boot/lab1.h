/* Lab 1: what you implement, and what the tests expect of it.
 *
 * Three parts, each in its own file:
 *   serial.c   a driver for the 16550 UART (the PC's serial port)
 *   memmap.c   reading the memory map out of the Multiboot2 information
 *   monitor.c  a small command interpreter over the serial console
 * Read lab1-boot/README.md first; it explains the hardware and the formats. */
#ifndef LAB1_H
#define LAB1_H

#include <keel/keel.h>

/* ---- Part 1: serial.c ---------------------------------------------------- */

/* The first serial port's I/O base address on a PC. */
#define COM1_BASE 0x3f8

/* The UART's clock divided by 16: the fastest baud rate, reached with a
 * divisor of 1. baud = UART_MAX_BAUD / divisor. */
#define UART_MAX_BAUD 115200

/* One serial port. Lives as long as the port is in use (a static variable). */
struct serial_port {
    uint16_t base;          /* I/O base address, e.g. COM1_BASE */
    struct console console; /* filled in by serial_console_register */
};

/* Program the UART at `base` for `baud` bits per second, 8 data bits, no
 * parity, 1 stop bit; FIFOs enabled and cleared; all UART interrupts off;
 * DTR, RTS and OUT2 set in the modem control register. `baud` divides
 * UART_MAX_BAUD (115200, 57600, 38400, 19200, 9600, ...). Use io_out8 /
 * io_in8 for every register access. */
void serial_init(struct serial_port *port, uint16_t base, uint32_t baud);

/* Send one character. Before writing a byte to the transmit register, wait
 * until the line status register says the transmit holding register is empty
 * (bit 5). A '\n' is sent as "\r\n" so terminals start the next line at the
 * left margin. */
void serial_putc(struct serial_port *port, char c);

/* Return the next received byte (0-255), or -1 at once if none is waiting
 * (line status bit 0, "data ready", is clear). Never waits. */
int serial_getc(struct serial_port *port);

/* Fill in port->console (name, write, read_char, flags
 * CONSOLE_REPLACES_EARLY, priv) and register it with console_register(), so
 * kprintf output goes through serial_putc and console_getc() reads through
 * serial_getc. */
void serial_console_register(struct serial_port *port);

/* ---- Part 2: memmap.c ---------------------------------------------------- */

/* Called once per memory-map entry, in order. */
typedef void (*memmap_callback_t)(const struct mb2_mmap_entry *entry, void *ctx);

/* Walk the tags of the Multiboot2 information block `mbi`, find the memory
 * map tag, and call `callback(entry, ctx)` for each of its entries. Returns
 * the number of entries visited (0 if there is no memory map tag). Tags start
 * at 8-byte boundaries; entries are entry_size bytes apart. */
size_t memmap_walk(const struct mb2_info *mbi, memmap_callback_t callback, void *ctx);

/* The total size in bytes of the memory map's available (type 1) regions. */
uint64_t memmap_total_usable(const struct mb2_info *mbi);

/* Print the memory map, one region per line: start, end, size and type name
 * (see memory_region_type_name in <keel/bootinfo.h>), then a last line
 *   Total usable memory: N KiB (M MiB)
 * with N and M in decimal. */
void memmap_print(const struct mb2_info *mbi);

/* ---- Part 3: monitor.c --------------------------------------------------- */

/* Read one line from the console (console_getc_blocking) into `buf` (capacity
 * `size`, NUL-terminated, without the line ending), echoing what is typed.
 * Enter ('\r' or '\n') ends the line; backspace (0x08 or 0x7f) removes the last
 * character (and erases it on screen with "\b \b"); other control characters
 * are ignored; characters beyond size - 1 are dropped. Returns the length. */
size_t monitor_readline(char *buf, size_t size);

/* Run one command line, e.g. "help" or "mem". Words are separated by spaces;
 * an empty line does nothing. An unknown command prints
 *   Unknown command 'WORD'. Type 'help' for a list of commands.
 * Commands: help (each command with a one-line description), mem
 * (memmap_print of the boot information), backtrace (monitor_backtrace),
 * reboot (kernel_reboot). The challenge part adds trace ("trace loop N",
 * "trace calls N": trace_call of trace_demo_loop or trace_demo_calls, in the
 * format of README.md, "Challenge part"). */
void monitor_exec(const char *line);

/* Print the chain of calls that led here, most recent first, one line per
 * frame: the return address, function+offset and file:line (symbol_lookup).
 * Walk the saved frame pointers, starting with __builtin_frame_address(0);
 * stop at a zero return address or a frame pointer that is zero, not 8-byte
 * aligned, or not above the previous one. */
void monitor_backtrace(void);

/* The monitor: print a welcome line, then forever print the prompt "K> ",
 * read a line and run it. */
void monitor_run(void);

/* ---- Challenge part: trace.c, and the monitor's trace command -------------
 * Single-stepping with the trap flag (README.md, "Challenge part"). With
 * RFLAGS_TF set, the CPU raises a debug exception (TRAP_DEBUG, vector 1)
 * after every instruction; the trap frame's rip is the next instruction to
 * run. On the Linux platform the same trap arrives as a trap frame too. */

/* The trap flag: bit 8 of RFLAGS. */
#define RFLAGS_TF (1ul << 8)

/* How many instruction addresses a trace keeps; it counts on beyond. */
#define TRACE_MAX_RECORDED 256

/* What trace_call saw. The caller owns it (a static or a caller's variable). */
struct trace {
    uint64_t steps;                    /* instructions fn executed (see trace_call) */
    size_t recorded;                   /* how many of them rip holds: at most TRACE_MAX_RECORDED */
    uintptr_t rip[TRACE_MAX_RECORDED]; /* the first `recorded` instructions' addresses, in order */
    uint64_t result;                   /* what fn returned */
};

/* Call fn(arg) with the trap flag set and fill `out` (all of it, zeroing
 * what it does not use) with every instruction fn executes: from its first
 * instruction up to and including its `ret`, the instructions of the
 * functions it calls included; none of trace_call's own. Install a handler
 * for TRAP_DEBUG with trap_set_handler for the call and put the previous one
 * back; run fn with interrupts disabled (cpu_irq_save / cpu_irq_restore), so
 * the count does not depend on the timer. When trace_call returns, RFLAGS_TF
 * is clear. Returns 0, or -EBUSY (and `out` untouched) if called while a
 * trace is running. Kernel context. */
int trace_call(uint64_t (*fn)(uint64_t), uint64_t arg, struct trace *out);

/* Two small functions written in assembly, to trace (trace_demo.c; you do not
 * change them). trace_demo_loop(n) returns 1 + 2 + … + n with a loop: 3n + 4
 * instructions (4 for n = 0). trace_demo_calls(n) returns trace_demo_loop(n)
 * + n: its own 6 instructions and trace_demo_loop's, 3n + 10 in all. */
uint64_t trace_demo_loop(uint64_t n);
/* See trace_demo_loop. */
uint64_t trace_demo_calls(uint64_t n);

/* The offset of each instruction of trace_demo_loop / trace_demo_calls from
 * the function's start, in order (what a trace of them must record). */
extern const uint8_t trace_demo_loop_offsets[7];
/* See trace_demo_loop_offsets. */
extern const uint8_t trace_demo_calls_offsets[6];

#endif
