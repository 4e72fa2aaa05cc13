/* The console list, the early console, test capture and injected input
 * (see <keel/console.h>). */
#include <keel/console.h>
#include <keel/cpu.h>
#include <keel/panic.h>
#include <keel/power.h>
#include <keel/string.h>
#include <keel/testing.h>

#include "internal.h"

static struct console *consoles;
static bool early_enabled = true;

static char *capture_buf;
static size_t capture_size, capture_length;

static char injected[256];
static size_t injected_head, injected_tail; /* ring: head == tail is empty */
static bool injected_end;                   /* console_inject_end: nothing after them */

void console_early_write(const char *buf, size_t len)
{
    platform_early_console_write(buf, len);
}

void console_early_write_str(const char *s)
{
    platform_early_console_write(s, strlen(s));
}

static bool any_replaces_early(void)
{
    for (struct console *c = consoles; c; c = c->next)
        if (c->flags & CONSOLE_REPLACES_EARLY)
            return true;
    return false;
}

void console_register(struct console *console)
{
    if (!console || !console->write)
        panic("console_register: the console needs a write function");
    bool irq = cpu_irq_save();
    for (struct console *c = consoles; c; c = c->next)
        if (c == console)
            panic("console_register: console '%s' is already registered",
                  console->name ? console->name : "?");
    console->next = NULL;
    struct console **tail = &consoles;
    while (*tail)
        tail = &(*tail)->next;
    *tail = console;
    early_enabled = !any_replaces_early();
    cpu_irq_restore(irq);
}

void console_unregister(struct console *console)
{
    bool irq = cpu_irq_save();
    for (struct console **link = &consoles; *link; link = &(*link)->next) {
        if (*link == console) {
            *link = console->next;
            console->next = NULL;
            break;
        }
    }
    early_enabled = !any_replaces_early();
    cpu_irq_restore(irq);
}

void console_write(const char *buf, size_t len)
{
    if (capture_buf) {
        for (size_t i = 0; i < len; i++, capture_length++)
            if (capture_length < capture_size - 1)
                capture_buf[capture_length] = buf[i];
        capture_buf[capture_length < capture_size ? capture_length : capture_size - 1] = '\0';
    }
    /* During a panic, only the early console: a broken driver must not
     * swallow the panic report. */
    if (early_enabled || panic_in_progress)
        platform_early_console_write(buf, len);
    if (panic_in_progress)
        return;
    for (struct console *c = consoles; c; c = c->next)
        c->write(c, buf, len);
}

void console_inject_input(const char *bytes, size_t len)
{
    bool irq = cpu_irq_save();
    for (size_t i = 0; i < len; i++) {
        size_t next = (injected_tail + 1) % sizeof(injected);
        if (next == injected_head)
            break;
        injected[injected_tail] = bytes[i];
        injected_tail = next;
    }
    cpu_irq_restore(irq);
}

void console_inject_end(void)
{
    injected_end = true;
}

void console_inject_clear(void)
{
    bool irq = cpu_irq_save();
    injected_head = injected_tail = 0;
    injected_end = false;
    cpu_irq_restore(irq);
}

bool console_input_ended(void)
{
    /* The platform first, with interrupts masked: its poll may take in the
     * last bytes and raise the receive interrupt, whose handler (lab 3's)
     * would move them into the injected ring after that ring was found
     * empty. Masked, the bytes are still in the device when it answers. */
    bool irq = cpu_irq_save();
    bool device_done = injected_end || platform_console_input_ended();
    bool ended = device_done && injected_head == injected_tail;
    cpu_irq_restore(irq);
    return ended;
}

size_t console_inject_pending(void)
{
    bool irq = cpu_irq_save();
    size_t pending = (injected_tail + sizeof(injected) - injected_head) % sizeof(injected);
    cpu_irq_restore(irq);
    return pending;
}

int console_getc(void)
{
    bool irq = cpu_irq_save();
    int c = -1;
    if (injected_head != injected_tail) {
        c = (unsigned char)injected[injected_head];
        injected_head = (injected_head + 1) % sizeof(injected);
    }
    cpu_irq_restore(irq);
    if (c >= 0)
        return c;
    for (struct console *con = consoles; con; con = con->next)
        if (con->read_char && (c = con->read_char(con)) >= 0)
            return c;
    if (early_enabled)
        return platform_early_console_read();
    return -1;
}

int console_getc_blocking(void)
{
    for (;;) {
        int c = console_getc();
        if (c >= 0)
            return c;
        if (console_input_ended()) {
            if (injected_end) /* a test ended it, mid-test */
                keel_report_bug((uintptr_t)__builtin_return_address(0),
                                "console_getc_blocking: the test ended the console's input "
                                "(console_inject_end), so no byte can ever come. Code that reads "
                                "input must check console_input_ended() and give up (a read() "
                                "returns 0, end of file) rather than wait");
            /* Nothing can ever come (a kernel run with its input from a
             * file or pipe, at its end): stop, rather than wait for ever. */
            console_early_write_str("\n[the console's input ended (end of file): nothing more "
                                    "can be typed, so the run ends here]\n");
            kernel_power_off(KEEL_EXIT_SUCCESS);
        }
        if (cpu_irq_enabled())
            cpu_halt();
        else
            cpu_relax();
    }
}

bool console_capture_begin(char *buf, size_t size)
{
    if (capture_buf || !buf || size == 0)
        return false;
    buf[0] = '\0';
    capture_length = 0;
    capture_size = size;
    capture_buf = buf;
    return true;
}

size_t console_capture_end(void)
{
    capture_buf = NULL;
    return capture_length;
}
