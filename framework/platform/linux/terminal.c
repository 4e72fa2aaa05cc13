/* The terminal of an interactive run on the Linux platform: raw mode while
 * the kernel runs, as QEMU's -serial stdio sets it (the UART model, uart.c,
 * then sees every key as typed), and the terminal as it was at the end. */
#include <termios.h>
#include <unistd.h>

#include "../../core/internal.h"
#include "linux.h"

static struct termios saved_terminal;
static bool terminal_changed;

/* An interactive run gets the terminal in raw mode, as QEMU's -serial stdio
 * sets it: every key reaches the UART as typed, and the kernel echoes. Ctrl-C
 * still ends the process. */
void linux_terminal_raw(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_terminal) != 0)
        return;
    struct termios raw = saved_terminal;
    raw.c_iflag &= ~(unsigned)(ICRNL | IXON | INLCR);
    raw.c_lflag &= ~(unsigned)(ICANON | ECHO | IEXTEN);
    raw.c_oflag &= ~(unsigned)OPOST;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0)
        terminal_changed = true;
}

void linux_terminal_restore(void)
{
    if (terminal_changed)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_terminal);
    terminal_changed = false;
}
