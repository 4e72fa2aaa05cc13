/* Lab 1 tests, part 3: the monitor's line editor, commands and backtrace. */
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
