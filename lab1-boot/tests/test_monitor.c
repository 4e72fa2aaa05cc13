/* Lab 1 tests, part 3: the monitor's line editor, commands and backtrace. */
#include <keel/testing.h>
#include <ktest.h>

#include "../lab1.h"

static char output[4096];

/* Run `line` through monitor_exec and return what it printed. */
static const char *run_command(const char *line)
{
    KT_ASSERT(console_capture_begin(output, sizeof(output)), "could not capture output");
    monitor_exec(line);
    console_capture_end();
    return output;
}

KTEST(monitor_help_lists_commands)
{
    const char *out = run_command("help");
    static const char *const names[] = {"help", "mem", "backtrace", "reboot"};
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(names); i++)
        KT_ASSERT(strstr(out, names[i]), "'help' did not list the command '%s'; it printed:\n%s",
                  names[i], out);
}

KTEST(monitor_mem_shows_total)
{
    const char *out = run_command("mem");
    char expected[64];
    ksnprintf(expected, sizeof(expected), "Total usable memory: %lu KiB",
              (unsigned long)(boot_info_get()->usable_bytes >> 10));
    KT_ASSERT(strstr(out, expected), "'mem' should print \"%s\"; it printed:\n%s", expected, out);
}

KTEST(monitor_rejects_unknown_command)
{
    const char *out = run_command("frobnicate now");
    KT_ASSERT(strstr(out, "Unknown command 'frobnicate'"),
              "an unknown command should print \"Unknown command 'frobnicate'. ...\"; it "
              "printed:\n%s",
              out);
    out = run_command("   ");
    KT_ASSERT(out[0] == '\0', "a blank line should print nothing; it printed:\n%s", out);
}

KTEST(monitor_readline_edits)
{
    char line[16];
    console_inject_input("hx\bi\r", 5);
    KT_ASSERT(console_capture_begin(output, sizeof(output)), "could not capture output");
    size_t len = monitor_readline(line, sizeof(line));
    console_capture_end();
    KT_ASSERT(len == 2 && strcmp(line, "hi") == 0,
              "typing h, x, backspace, i, Enter should give \"hi\" (length 2); got \"%s\" "
              "(length %zu)",
              line, len);
    KT_ASSERT(strchr(output, 'h') && strchr(output, 'i'), "typed characters were not echoed");
    console_inject_input("0123456789abcdefXYZ\r", 20);
    len = monitor_readline(line, 8);
    KT_ASSERT(len == 7 && strcmp(line, "0123456") == 0,
              "a line longer than the buffer must keep only size - 1 characters; got \"%s\"", line);
}

static const char *trace;

__attribute__((noinline)) static void bt_inner(void)
{
    KT_ASSERT(console_capture_begin(output, sizeof(output)), "could not capture output");
    monitor_backtrace();
    console_capture_end();
    trace = output;
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void bt_middle(void)
{
    bt_inner();
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void bt_outer(void)
{
    bt_middle();
    __asm__ volatile("" ::: "memory");
}

KTEST(monitor_backtrace_names_callers)
{
    trace = "";
    bt_outer();
    const char *inner = strstr(trace, "bt_inner"), *middle = strstr(trace, "bt_middle"),
               *outer = strstr(trace, "bt_outer");
    KT_ASSERT(inner && middle && outer,
              "the backtrace should name bt_inner, bt_middle and bt_outer; it printed:\n%s", trace);
    KT_ASSERT(inner < middle && middle < outer,
              "the backtrace should list the most recent call first; it printed:\n%s", trace);
    KT_ASSERT(strstr(trace, "tests/test_monitor.c:"),
              "the backtrace should show file:line for each frame; it printed:\n%s", trace);
}

/* What a terminal shows after receiving `echo`, up to the first newline:
 * printable characters overwrite the screen at the cursor, '\b' moves the
 * cursor left, '\r' to the start; other bytes do nothing. Trailing spaces
 * (erased characters look like spaces) are dropped. Judging the echo this
 * way accepts any correct way of echoing. */
static void screen_after(const char *echo, char *screen, size_t size)
{
    size_t cursor = 0, used = 0;
    for (const char *p = echo; *p && *p != '\n'; p++) {
        if (*p == '\r')
            cursor = 0;
        else if (*p == '\b' && cursor > 0)
            cursor--;
        else if (*p >= 0x20 && *p < 0x7f && cursor + 1 < size)
            screen[cursor++] = *p;
        used = cursor > used ? cursor : used;
    }
    while (used > 0 && screen[used - 1] == ' ')
        used--;
    screen[used] = '\0';
}

/* Host-checked (grading/test_lab1_boot.py): six lines typed with keys drawn
 * from the run's seed. Editing lines mix printable characters, both
 * backspace codes and control characters (which must be ignored) in a
 * 64-byte buffer; overflow lines type more than a small buffer holds. The
 * grader checks each line read, and for editing lines what the echo leaves
 * on the screen. */
KTEST(monitor_readline_seeded_typing)
{
    static const char controls[] = {0x01, 0x02, 0x05, 0x06, 0x07, 0x09, 0x0b, 0x0c, 0x0e, 0x1b};
    uint64_t state = ktest_seed();
    for (unsigned number = 1; number <= 6; number++) {
        char keys[48];
        size_t count = 0, size;
        bool editing = ktest_random_below(&state, 3) != 0;
        if (editing) {
            size = 64;
            for (uint64_t n = 1 + ktest_random_below(&state, 30); n > 0; n--) {
                uint64_t kind = ktest_random_below(&state, 20);
                if (kind < 13)
                    keys[count++] = (char)(0x20 + ktest_random_below(&state, 95));
                else if (kind < 17)
                    keys[count++] = ktest_random_below(&state, 2) ? 0x7f : 0x08;
                else
                    keys[count++] = controls[ktest_random_below(&state, sizeof(controls))];
            }
        } else {
            size = 2 + ktest_random_below(&state, 11);
            for (uint64_t n = size + ktest_random_below(&state, 8); n > 0; n--)
                keys[count++] = (char)(0x20 + ktest_random_below(&state, 95));
        }
        keys[count++] = ktest_random_below(&state, 2) ? '\r' : '\n';

        /* Bytes past `size` must stay as they are. */
        char line[80];
        memset(line, 0x5a, sizeof(line));
        console_inject_clear();
        console_inject_input(keys, count);
        KT_ASSERT(console_capture_begin(output, sizeof(output)), "could not capture output");
        size_t len = monitor_readline(line, size);
        console_capture_end();
        for (size_t i = size; i < sizeof(line); i++)
            KT_ASSERT(line[i] == 0x5a,
                      "monitor_readline(buf, %zu) wrote to buf[%zu], past the end of the buffer",
                      size, i);
        KT_ASSERT(strnlen(line, size) < size,
                  "monitor_readline(buf, %zu) left the line without its terminating NUL", size);
        if (editing) {
            char screen[128];
            screen_after(output, screen, sizeof(screen));
            ktest_answer("line %u (size %zu): length %zu \"%s\", the screen shows \"%s\"", number,
                         size, len, line, screen);
        } else {
            ktest_answer("line %u (size %zu): length %zu \"%s\"", number, size, len, line);
        }
    }
}
