/* Grader protocol frames (see <keel/protocol.h>). */
#include <keel/console.h>
#include <keel/kprintf.h>
#include <keel/protocol.h>
#include <keel/string.h>

#include <stdarg.h>

#include "internal.h"

#define NONCE_WORD "keel.nonce="

/* This run's nonce, or "" when nobody is grading. Only the framework's own
 * frames carry it: it is taken off the command line before any lab code
 * runs, so cmdline_get and cmdline_raw never show it. */
static char run_nonce[40];

void protocol_take_nonce(char *cmdline)
{
    char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        char *word = p;
        while (*p && *p != ' ')
            p++;
        size_t length = (size_t)(p - word);
        if (length < sizeof(NONCE_WORD) - 1 || strncmp(word, NONCE_WORD, sizeof(NONCE_WORD) - 1))
            continue;
        /* The last one wins, as for every key. */
        size_t value = length - (sizeof(NONCE_WORD) - 1);
        if (value >= sizeof(run_nonce))
            value = sizeof(run_nonce) - 1;
        memcpy(run_nonce, word + sizeof(NONCE_WORD) - 1, value);
        run_nonce[value] = '\0';
        /* Close the gap (with the space before the word) and clear the tail,
         * so the nonce is nowhere in the command line's memory. */
        char *from = p, *to = word > cmdline ? word - 1 : word;
        size_t rest = strlen(from);
        memmove(to, from, rest + 1);
        memset(to + rest + 1, 0, (size_t)(from - to));
        p = to;
    }
    while (*cmdline == ' ')
        memmove(cmdline, cmdline + 1, strlen(cmdline));
}

void protocol_emit(const char *kind, const char *fmt, ...)
{
    /* Without a nonce nobody is grading this run: keep the console clean. */
    if (!run_nonce[0])
        return;

    char line[512];
    int n = ksnprintf(line, sizeof(line), "\n@@keel:%s:%s:", run_nonce, kind);
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
