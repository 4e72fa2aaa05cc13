/* The in-kernel test runner (see ktest.h). Tests are found through the
 * .keel_tests linker section; each is run under a keel_setjmp so a failed
 * assertion at any depth ends just that test. */
#include <keel/jump.h>
#include <keel/keel.h>
#include <keel/protocol.h>
#include <keel/testing.h>
#include <ktest.h>

#include <stdarg.h>

/* Tests whose names start with these run only when named: deliberate
 * crashes (for checking the framework's and graders' reports) and
 * benchmarks (make bench). */
#define CRASH_PREFIX "crash_"
#define BENCH_PREFIX "bench_"
/* ... and tests that need a particular boot set-up (boot modules, say). */
#define NEEDS_PREFIX "needs_"

extern const struct ktest __ktests_start[], __ktests_end[];

static keel_jmp_buf test_exit;
static const struct ktest *current_test;
static char failure_reason[400];
/* What lab code held when the test started (or at its ktest_memory_baseline). */
static struct leak_snapshot memory_before;

void ktest_fail_at(const char *file, int line, const char *fmt, ...)
{
    int n = ksnprintf(failure_reason, sizeof(failure_reason), "%s:%d: ", file, line);
    va_list args;
    va_start(args, fmt);
    if (n >= 0 && (size_t)n < sizeof(failure_reason))
        kvsnprintf(failure_reason + n, sizeof(failure_reason) - (size_t)n, fmt, args);
    va_end(args);
    if (!current_test)
        panic("test assertion failed outside a test: %s", failure_reason);
    keel_longjmp(test_exit, 1);
}

void ktest_expect_output(const char *text)
{
    protocol_emit("EXPECT", "%s", text);
}

uint64_t ktest_seed(void)
{
    char text[32];
    if (!cmdline_get("keel.seed", text, sizeof(text)) || !text[0]) {
        kprintf("[test] no keel.seed= on the command line: using seed 1\n");
        return 1;
    }
    uint64_t seed = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            KT_FAIL("keel.seed=%s is not a decimal number", text);
        seed = seed * 10 + (uint64_t)(*p - '0');
    }
    return seed;
}

uint64_t ktest_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t ktest_random_below(uint64_t *state, uint64_t bound)
{
    return ktest_random(state) % bound;
}

void ktest_answer(const char *fmt, ...)
{
    char line[256];
    va_list args;
    va_start(args, fmt);
    kvsnprintf(line, sizeof(line), fmt, args);
    va_end(args);
    /* On the console too: a student rerunning a seed by hand sees them. */
    kprintf("[answer] %s\n", line);
    protocol_emit("ANSWER", "%s", line);
}

void ktest_memory_baseline(void)
{
    if (!current_test)
        panic("ktest_memory_baseline outside a test");
    leak_snapshot_take(&memory_before);
}

void ktest_bench_report(const char *name, uint64_t value, const char *unit)
{
    kprintf("[bench] %s: %lu %s\n", name, value, unit);
    protocol_emit("BENCH", "%s %lu %s", name, value, unit);
}

/* Put back what a test may have left changed, so the next one starts clean. */
static void reset_after_test(void)
{
    io_mock_remove();
    schedule_perturb_stop();
    console_capture_end();
    console_inject_clear();
}

static bool run_one(const struct ktest *test)
{
    bool passed;
    protocol_emit("BEGIN", "%s", test->name);
    kprintf("[test] %s ...\n", test->name);
    current_test = test;
    leak_snapshot_take(&memory_before);
    if (keel_setjmp(test_exit) == 0) {
        test->run();
        passed = true;
    } else {
        passed = false;
    }
    current_test = NULL;
    reset_after_test();
    /* A test that passed must also have given back what it allocated (a
     * failed one may have stopped half-way: its leaks say nothing). */
    if (passed)
        passed = leak_check(&memory_before, failure_reason, sizeof(failure_reason));
    if (passed) {
        kprintf("[test] %s: PASS\n", test->name);
        protocol_emit("PASS", "%s", test->name);
    } else {
        kprintf("[test] %s: FAIL: %s\n", test->name, failure_reason);
        protocol_emit("FAIL", "%s %s", test->name, failure_reason);
    }
    return passed;
}

#define MAX_TESTS 256

/* The tests in source order (file, then line): the linker section holds
 * each file's tests in reverse. */
static size_t sorted_tests(const struct ktest **out)
{
    size_t count = 0;
    for (const struct ktest *t = __ktests_start; t < __ktests_end && count < MAX_TESTS; t++) {
        size_t i = count++;
        while (i > 0) {
            int order = strcmp(out[i - 1]->file, t->file);
            if (order < 0 || (order == 0 && out[i - 1]->line < t->line))
                break;
            out[i] = out[i - 1];
            i--;
        }
        out[i] = t;
    }
    return count;
}

/* Whether `name` is one of the comma-separated names in `selection`. */
static bool selected(const char *selection, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = selection; *p;) {
        const char *end = strchr(p, ',');
        size_t word = end ? (size_t)(end - p) : strlen(p);
        if (word == len && strncmp(p, name, len) == 0)
            return true;
        p += word + (end ? 1 : 0);
    }
    return false;
}

void ktest_main(void)
{
    char selection[256];
    if (!cmdline_get("keel.test", selection, sizeof(selection)))
        return;

    static const struct ktest *tests[MAX_TESTS];
    size_t count = sorted_tests(tests);
    unsigned passed = 0, failed = 0;

    if (strcmp(selection, "list") == 0) {
        for (size_t i = 0; i < count; i++)
            protocol_emit("TEST", "%s %s:%d", tests[i]->name, tests[i]->file, tests[i]->line);
    } else if (strcmp(selection, "none") != 0) {
        bool all = strcmp(selection, "all") == 0;
        kprintf("[test] %zu tests in this kernel\n", count);
        for (size_t i = 0; i < count; i++) {
            const struct ktest *t = tests[i];
            bool crash = strncmp(t->name, CRASH_PREFIX, strlen(CRASH_PREFIX)) == 0 ||
                         strncmp(t->name, BENCH_PREFIX, strlen(BENCH_PREFIX)) == 0 ||
                         strncmp(t->name, NEEDS_PREFIX, strlen(NEEDS_PREFIX)) == 0;
            if (all ? crash : !selected(selection, t->name))
                continue;
            if (run_one(t))
                passed++;
            else
                failed++;
        }
        /* Report names that matched no test: a typo must not look like a pass. */
        if (!all) {
            for (const char *p = selection; *p;) {
                const char *end = strchr(p, ',');
                size_t word = end ? (size_t)(end - p) : strlen(p);
                bool known = false;
                for (size_t i = 0; i < count; i++)
                    known |=
                        strlen(tests[i]->name) == word && strncmp(tests[i]->name, p, word) == 0;
                if (!known) {
                    protocol_emit("FAIL", "%.*s no such test in this kernel", (int)word, p);
                    failed++;
                }
                p += word + (end ? 1 : 0);
            }
        }
    }
    protocol_emit("DONE", "%u %u", passed, failed);
    kernel_power_off(failed ? KEEL_EXIT_TESTS_FAILED : KEEL_EXIT_SUCCESS);
}
