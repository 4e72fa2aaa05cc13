/* Lab 1 tests, challenge part: trace_call (single-stepping with the trap
 * flag) and the monitor's trace command. They trace trace_demo_loop and
 * trace_demo_calls, written in assembly (trace_demo.c), so the instructions
 * a trace must record are known exactly on every platform and build. */
#include <keel/testing.h>
#include <ktest.h>

#include "../lab1.h"

#define EXPECTED_MAX 1024

static struct trace trace;
static uintptr_t expected[EXPECTED_MAX];

/* Append the instructions trace_demo_loop(n) runs to expected[], from `at`. */
static size_t expect_loop(size_t at, uint64_t n)
{
    const uintptr_t base = (uintptr_t)trace_demo_loop;
    const uint8_t *offset = trace_demo_loop_offsets;
    for (unsigned i = 0; i < 3; i++)
        expected[at++] = base + offset[i]; /* xor, test, jz */
    for (uint64_t round = 0; round < n && at + 4 < EXPECTED_MAX; round++)
        for (unsigned i = 3; i < 6; i++)
            expected[at++] = base + offset[i]; /* add, dec, jnz */
    expected[at++] = base + offset[6];         /* ret */
    return at;
}

/* ... and those trace_demo_calls(n) runs, trace_demo_loop(n)'s included. */
static size_t expect_calls(size_t at, uint64_t n)
{
    const uintptr_t base = (uintptr_t)trace_demo_calls;
    const uint8_t *offset = trace_demo_calls_offsets;
    for (unsigned i = 0; i < 3; i++)
        expected[at++] = base + offset[i]; /* push, mov, call */
    at = expect_loop(at, n);
    for (unsigned i = 3; i < 6; i++)
        expected[at++] = base + offset[i]; /* add, pop, ret */
    return at;
}

/* "function+0xoffset" for `address`, in one of two buffers. */
static const char *where(uintptr_t address)
{
    static char text[2][96];
    static unsigned next;
    char *buf = text[next++ % 2];
    struct symbol_info info;
    if (symbol_lookup(address, &info))
        ksnprintf(buf, sizeof(text[0]), "%s+0x%lx", info.function, info.offset);
    else
        ksnprintf(buf, sizeof(text[0]), "an address outside every function");
    return buf;
}

static const char *error_name(int result)
{
    static char text[16];
    if (result == -ENOSYS)
        return "-ENOSYS (not written yet?)";
    if (result == -EBUSY)
        return "-EBUSY";
    ksnprintf(text, sizeof(text), "%d", result);
    return text;
}

/* Compare the trace of `what` with the `count` instructions expected. */
static void check_trace(const char *what, uint64_t count, uint64_t result)
{
    KT_ASSERT(trace.steps == count,
              "%s: trace_call counted %lu instructions, expected %lu (count each instruction of "
              "the function and of those it calls, from its first instruction to its ret, and "
              "none of trace_call's own)",
              what, trace.steps, count);
    size_t recorded = count < TRACE_MAX_RECORDED ? count : TRACE_MAX_RECORDED;
    KT_ASSERT(trace.recorded == recorded, "%s: trace.recorded is %lu, expected %lu", what,
              trace.recorded, recorded);
    for (size_t i = 0; i < recorded; i++)
        KT_ASSERT(trace.rip[i] == expected[i],
                  "%s: instruction %lu of the trace is 0x%lx (%s), expected 0x%lx (%s)", what,
                  i + 1, trace.rip[i], where(trace.rip[i]), expected[i], where(expected[i]));
    KT_ASSERT(trace.result == result, "%s returned %lu, but trace.result is %lu", what, result,
              trace.result);
}

static bool sentinel_handler(struct trap_frame *frame)
{
    (void)frame;
    return false;
}

/* Run trace_call(fn, n) with a sentinel TRAP_DEBUG handler installed, and
 * check that the machine is as before afterwards. */
static void traced(const char *what, uint64_t (*fn)(uint64_t), uint64_t n)
{
    trap_handler_t saved = trap_set_handler(TRAP_DEBUG, sentinel_handler);
    int result = trace_call(fn, n, &trace);
    trap_handler_t after = trap_set_handler(TRAP_DEBUG, saved);
    uint64_t rflags = cpu_read_rflags();
    KT_ASSERT(result == 0, "trace_call(%s) returned %s", what, error_name(result));
    KT_ASSERT(!(rflags & RFLAGS_TF),
              "after trace_call(%s) returned, the trap flag is still set in RFLAGS (%#lx): "
              "every instruction after it traps",
              what, rflags);
    KT_ASSERT(after == sentinel_handler,
              "trace_call(%s) did not put back the TRAP_DEBUG handler that was installed "
              "before it (trap_set_handler returns it)",
              what);
}

KTEST(trace_counts_a_loop)
{
    traced("trace_demo_loop(5)", trace_demo_loop, 5);
    check_trace("trace_demo_loop(5)", expect_loop(0, 5), 15);
    traced("trace_demo_loop(0)", trace_demo_loop, 0);
    check_trace("trace_demo_loop(0)", expect_loop(0, 0), 0);
}

KTEST(trace_follows_calls)
{
    traced("trace_demo_calls(4)", trace_demo_calls, 4);
    check_trace("trace_demo_calls(4)", expect_calls(0, 4), 14);
}

KTEST(trace_counts_beyond_what_it_records)
{
    traced("trace_demo_loop(200)", trace_demo_loop, 200);
    check_trace("trace_demo_loop(200)", expect_loop(0, 200), 20100);
}

static struct trace inner;
static int inner_result;

/* Traced itself: a trace inside a trace is refused. */
static uint64_t nested(uint64_t n)
{
    inner_result = trace_call(trace_demo_loop, n, &inner);
    return 0;
}

KTEST(trace_restores_the_machine)
{
    /* With interrupts enabled and with them disabled: the state comes back. */
    bool at_start = cpu_irq_enabled();
    for (int enabled = 1; enabled >= 0; enabled--) {
        if (enabled)
            cpu_irq_enable();
        else
            cpu_irq_disable();
        traced("trace_demo_loop(3)", trace_demo_loop, 3);
        bool now = cpu_irq_enabled();
        if (at_start)
            cpu_irq_enable();
        else
            cpu_irq_disable();
        KT_ASSERT(now == (bool)enabled,
                  "interrupts were %s before trace_call and %s after it: restore them "
                  "(cpu_irq_save / cpu_irq_restore)",
                  enabled ? "enabled" : "disabled", now ? "enabled" : "disabled");
        check_trace("trace_demo_loop(3)", expect_loop(0, 3), 6);
    }
    inner.steps = 12345;
    inner_result = 1;
    traced("a function that calls trace_call", nested, 2);
    KT_ASSERT(inner_result == -EBUSY,
              "trace_call while a trace is running returned %s, expected -EBUSY",
              error_name(inner_result));
    KT_ASSERT(inner.steps == 12345, "a refused trace_call must leave its struct trace untouched");
}

static char output[16384];

/* Line `n` (from 1) of `text` into `line`, or NULL if there is none. */
static const char *line_of(const char *text, unsigned n, char *line, size_t size)
{
    for (unsigned i = 1; i < n && text; i++) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    if (!text || !*text)
        return NULL;
    size_t length = 0;
    while (text[length] && text[length] != '\n' && length + 1 < size)
        length++;
    memcpy(line, text, length);
    line[length] = 0;
    return line;
}

/* What "trace calls 2" must print (README.md, "Challenge part"). */
static void expected_output(char *text, size_t size)
{
    size_t count = expect_calls(0, 2), used = 0;
    for (size_t i = 0; i < count; i++) {
        struct symbol_info info;
        KT_ASSERT(symbol_lookup(expected[i], &info), "no symbol for trace_demo_calls");
        if (info.file && info.line)
            used += (size_t)ksnprintf(text + used, size - used, "  %lu: 0x%lx %s+0x%lx (%s:%d)\n",
                                      i + 1, expected[i], info.function, info.offset, info.file,
                                      info.line);
        else
            used += (size_t)ksnprintf(text + used, size - used, "  %lu: 0x%lx %s+0x%lx\n", i + 1,
                                      expected[i], info.function, info.offset);
    }
    ksnprintf(text + used, size - used, "%lu instructions; trace_demo_calls(2) returned 5\n",
              count);
}

KTEST(monitor_trace_command)
{
    static char want[4096];
    expected_output(want, sizeof(want));
    KT_ASSERT(console_capture_begin(output, sizeof(output)), "could not capture output");
    monitor_exec("trace calls 2");
    console_capture_end();
    for (unsigned n = 1;; n++) {
        char got_line[160], want_line[160];
        const char *got = line_of(output, n, got_line, sizeof(got_line));
        const char *expect = line_of(want, n, want_line, sizeof(want_line));
        if (!got && !expect)
            break;
        KT_ASSERT(got && expect && strcmp(got, expect) == 0,
                  "line %u of what 'trace calls 2' printed differs:\n  printed:  %s\n  expected: "
                  "%s\n(the format is in lab1-boot/README.md, \"Challenge part\")",
                  n, got ? got : "(nothing)", expect ? expect : "(nothing)");
    }
    KT_ASSERT(console_capture_begin(output, sizeof(output)), "could not capture output");
    monitor_exec("trace loop many");
    console_capture_end();
    KT_ASSERT(strncmp(output, "Usage: trace", 12) == 0,
              "'trace loop many' (not a number) should print a line starting \"Usage: trace\"; "
              "it printed:\n%s",
              output);
}
