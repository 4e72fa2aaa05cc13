/* Consoles: where kernel output goes and where keyboard/serial input comes from.
 *
 * Keel starts with an early console of its own (a minimal polled serial
 * writer), so that kprintf works from the first line of C. A driver registers
 * a struct console to take over; kprintf then writes to every registered
 * console. The framework's panic and grader-protocol output never depend on a
 * registered console, so a broken driver cannot hide a panic message. */
#ifndef KEEL_CONSOLE_H
#define KEEL_CONSOLE_H

#include <keel/types.h>

/* Set in console.flags: registering this console retires the framework's early
 * serial console, because both would write to the same wire. */
#define CONSOLE_REPLACES_EARLY 0x1u

/* An output (and optionally input) device that kprintf writes to. The driver
 * owns the struct and keeps it alive while it is registered. */
struct console {
    /* Short name for messages, e.g. "serial0". */
    const char *name;
    /* Write `len` bytes. Must not call kprintf (it would recurse). Required. */
    void (*write)(struct console *console, const char *buf, size_t len);
    /* Return the next input byte, or -1 at once if none is waiting. Optional
     * (NULL for output-only consoles). */
    int (*read_char)(struct console *console);
    /* CONSOLE_* flags. */
    unsigned flags;
    /* Driver-private data; the framework never touches it. */
    void *priv;
    /* Owned by the framework while registered. */
    struct console *next;
};

/* Add `console` to the list kprintf writes to. The caller keeps ownership of
 * the struct and must keep it alive while registered. Registering the same
 * console twice is a bug and panics. Kernel context, interrupts may be on. */
void console_register(struct console *console);

/* Remove `console` from the list. If no console is left, output goes to the
 * early console again. Unregistering a console that is not registered does
 * nothing. */
void console_unregister(struct console *console);

/* Write `len` bytes to every registered console (what kprintf does after
 * formatting). Any context. */
void console_write(const char *buf, size_t len);

/* Return the next input byte from the first console that has one, or -1 at
 * once if none has. Any context. */
int console_getc(void);

/* Wait for and return the next input byte. Halts the CPU between polls when
 * interrupts are enabled, spins otherwise. When no input can ever come (on
 * the Linux platform, standard input at its end: `make linux </dev/null`),
 * says so and powers off with KEEL_EXIT_SUCCESS instead of waiting for ever.
 * Kernel context. */
int console_getc_blocking(void);

/* True when the console's input has ended for good: no byte is waiting
 * and none can ever come. On the Linux platform that is standard input at
 * the end of a file or pipe (`make linux </dev/null`) with every byte read
 * (at a terminal, Ctrl-D reaches the kernel as the byte 4: the terminal is
 * in raw mode); a PC's serial line never ends, so there it is false unless
 * a test called console_inject_end(). A read() system call on the console
 * returns 0 (end of file) then, as Linux's does, instead of waiting for
 * ever. Any context. */
bool console_input_ended(void);

/* Feed bytes that console_getc() will return before any device input. Tests
 * use it to type into a monitor; at most 256 bytes are kept, the rest are
 * dropped. Any context. */
void console_inject_input(const char *bytes, size_t len);

/* For tests: the input ends after the injected bytes, as a file's does.
 * Once they are read, console_input_ended() is true until
 * console_inject_clear(), and console_getc_blocking reports a bug at its
 * caller (which should have checked) instead of waiting. Any context. */
void console_inject_end(void);

/* For tests: how many injected bytes are still unread. Any context. */
size_t console_inject_pending(void);

/* Drop any injected input not read yet, and undo console_inject_end. Any
 * context. */
void console_inject_clear(void);

/* (Capturing console output for tests: <keel/testing.h>.) */

/* Write directly to the framework's early serial console, whatever is
 * registered. For the framework's panic path and grader protocol. */
void console_early_write(const char *buf, size_t len);

#endif
