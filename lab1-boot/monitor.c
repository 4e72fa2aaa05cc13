/* Lab 1, part 3: the kernel monitor.
 * Read "Part 3" of lab1-boot/README.md. */
#include "lab1.h"

size_t monitor_readline(char *buf, size_t size)
{
    /* TODO(lab1): read characters with console_getc_blocking() until Enter,
     * echoing them with kprintf; handle backspace; keep at most size - 1. */
    if (size)
        buf[0] = '\0';
    return 0;
}

void monitor_exec(const char *line)
{
    (void)line;
    /* TODO(lab1): split the line into words, look the first one up in a
     * table of commands (help, mem, backtrace, reboot) and run it; say
     * "Unknown command 'WORD'. Type 'help' for a list of commands." if it is
     * not there. Challenge part: a trace command too (lab1.h, README.md). */
}

void monitor_backtrace(void)
{
    /* TODO(lab1): walk the frame pointers from __builtin_frame_address(0):
     * each frame holds the caller's frame pointer, then the return address.
     * Print each return address with symbol_lookup(address - 1, &info). */
}

void monitor_run(void)
{
    /* TODO(lab1): print a welcome line, then loop: print "K> ", read a line
     * with monitor_readline, run it with monitor_exec. */
    kprintf("The monitor is not written yet (lab1-boot/monitor.c); stopping.\n");
}
