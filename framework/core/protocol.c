/* Grader protocol frames (see <keel/protocol.h>). */
#include <keel/cmdline.h>
#include <keel/console.h>
#include <keel/kprintf.h>
#include <keel/protocol.h>
#include <keel/string.h>

#include <stdarg.h>

void protocol_emit(const char *kind, const char *fmt, ...)
{
    /* Without a nonce nobody is grading this run: keep the console clean. */
    char nonce[40];
    if (!cmdline_get("keel.nonce", nonce, sizeof(nonce)) || !nonce[0])
        return;

    char line[512];
    int n = ksnprintf(line, sizeof(line), "\n@@keel:%s:%s:", nonce, kind);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    va_list args;
    va_start(args, fmt);
    kvsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, args);
    va_end(args);
    /* A frame is exactly one line: flatten any newline in the text. */
    for (char *p = line + n; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t len = strlen(line);
    line[len++] = '\n';
    console_early_write(line, len);
}
