/* Lab 3 tests, challenge part: the sampling profiler (profile.c). No test
 * here depends on how fast the host runs the kernel: the timer tests wait
 * for a number of ticks, however long they take, and compare the profile
 * with the interrupts the framework delivered; the others feed samples in
 * themselves. */
#include <keel/testing.h>
#include <ktest.h>

#include "../lab3.h"

#define USER_CS   0x23 /* a user-mode code segment: low two bits 3 */
#define KERNEL_CS 0x08

/* ---- Sampling real timer ticks ------------------------------------------ */

#define HOT_TICKS 200
/* Far longer than HOT_TICKS take at 1000 Hz (0.2 s): only a timer that
 * stopped for good (no EOI) runs into it. */
#define HOT_WAIT_NS 5000000000ull

static trap_handler_t lab_timer_handler;
static volatile uint64_t ticks_seen;

/* Counts the ticks for profile_test_busy_loop, which must not call anything
 * (a call would be sampled in the callee). */
static bool counting_handler(struct trap_frame *frame)
{
    ticks_seen++;
    return lab_timer_handler(frame);
}

/* The hot function: spins until `target` ticks have come (or, every 2^16
 * turns, the wait is over). Not static, so its name is in the symbols. */
__attribute__((noinline)) void profile_test_busy_loop(uint64_t target);
__attribute__((noinline)) void profile_test_busy_loop(uint64_t target)
{
    uint64_t start = time_ns();
    for (uint64_t spins = 1; ticks_seen < target; spins++) {
        __asm__ volatile("pause");
        if ((spins & 0xffff) == 0 && time_ns() - start > HOT_WAIT_NS)
            break;
    }
}

struct hot_run {
    uint64_t delivered; /* timer interrupts the framework dispatched */
    struct profile_stats stats;
};

/* Profile HOT_TICKS ticks of the 1000 Hz timer spent in `spin` (the busy
 * loop, or functions that call it). */
static struct hot_run profile_ticks_in(void (*spin)(uint64_t target))
{
    lab3_install();
    lab_timer_handler = trap_set_handler(TIMER_VECTOR, NULL);
    KT_ASSERT(lab_timer_handler, "lab3_install put no handler on TIMER_VECTOR");
    trap_set_handler(TIMER_VECTOR, counting_handler);
    ticks_seen = 0;
    uint64_t before = trap_dispatch_count(TIMER_VECTOR);
    profile_start();
    timer_start(1000);
    cpu_irq_enable();
    spin(HOT_TICKS);
    cpu_irq_disable();
    timer_stop();
    profile_stop();
    trap_set_handler(TIMER_VECTOR, lab_timer_handler);
    struct hot_run run = {.delivered = trap_dispatch_count(TIMER_VECTOR) - before};
    profile_get_stats(&run.stats);
    KT_ASSERT(run.delivered >= HOT_TICKS,
              "only %lu timer interrupts arrived in %llu s at 1000 Hz: does timer_handler still "
              "acknowledge each one (interrupt_eoi)?",
              run.delivered, HOT_WAIT_NS / 1000000000ull);
    return run;
}

static struct hot_run profile_busy_ticks(void)
{
    return profile_ticks_in(profile_test_busy_loop);
}

KTEST(profile_samples_every_tick)
{
    struct hot_run run = profile_busy_ticks();
    struct profile_stats *s = &run.stats;
    KT_ASSERT(s->ticks == run.delivered,
              "the profile counted %lu samples while %lu timer interrupts reached timer_handler "
              "between profile_start and profile_stop: timer_handler must call profile_tick for "
              "every tick, and it must count each exactly once",
              s->ticks, run.delivered);
    KT_ASSERT(s->kernel + s->user + s->dropped == s->ticks,
              "profile_stats: %lu kernel + %lu user + %lu dropped samples, but %lu ticks: every "
              "tick is exactly one of the three",
              s->kernel, s->user, s->dropped, s->ticks);
    KT_ASSERT(s->user == 0,
              "%lu of %lu ticks were counted as user mode, but every one interrupted the kernel "
              "(user mode: the low two bits of frame->cs are 3)",
              s->user, s->ticks);
    KT_ASSERT(s->dropped == 0, "%lu samples dropped although %lu fit in the table", s->dropped,
              (uint64_t)PROFILE_MAX_SAMPLES);
}

KTEST(profile_finds_the_hot_function)
{
    struct hot_run run = profile_busy_ticks();
    static struct profile_entry entries[8];
    size_t n = profile_histogram(entries, 8);
    KT_ASSERT(n > 0, "profile_histogram found no functions in %lu kernel samples",
              run.stats.kernel);
    uint64_t sum = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        sum += entries[i].count;
    KT_ASSERT(n > 8 || sum == run.stats.kernel,
              "the histogram's %zu functions have %lu samples together, but the table holds %lu", n,
              sum, run.stats.kernel);
    const char *hottest = entries[0].function ? entries[0].function : "?";
    KT_ASSERT(strcmp(hottest, "profile_test_busy_loop") == 0,
              "the hottest function is '%s' (%lu of %lu samples), but the CPU spent the whole "
              "profile spinning in profile_test_busy_loop: is the sample frame->rip (where the "
              "tick interrupted), symbolised with symbol_lookup?",
              hottest, entries[0].count, run.stats.kernel);
    KT_ASSERT(entries[0].count * 10 >= run.stats.kernel * 8,
              "profile_test_busy_loop has only %lu of %lu samples (at least 80%% expected)",
              entries[0].count, run.stats.kernel);
}

/* Callers of the busy loop: outer calls middle calls the loop; recursive
 * calls itself twice before it calls the loop. The asm keeps each call a
 * call (no tail calls, no inlining of what is left). */
__attribute__((noinline)) void profile_test_middle(uint64_t target);
__attribute__((noinline)) void profile_test_middle(uint64_t target)
{
    profile_test_busy_loop(target);
    __asm__ volatile("");
}

__attribute__((noinline)) void profile_test_outer(uint64_t target);
__attribute__((noinline)) void profile_test_outer(uint64_t target)
{
    profile_test_middle(target);
    __asm__ volatile("");
}

__attribute__((noinline)) void profile_test_recursive(uint64_t target, int depth);
__attribute__((noinline)) void profile_test_recursive(uint64_t target, int depth)
{
    if (depth > 0)
        profile_test_recursive(target, depth - 1);
    else
        profile_test_busy_loop(target);
    __asm__ volatile("");
}

static void spin_recursively(uint64_t target)
{
    profile_test_recursive(target, 2);
}

/* The kernel samples of `run`, which must be as many as its ticks. */
static uint64_t kernel_samples(const struct hot_run *run)
{
    KT_ASSERT(run->stats.kernel > 0 && run->stats.kernel == run->delivered,
              "the profile recorded %lu kernel samples in %lu timer ticks (see "
              "profile_samples_every_tick)",
              run->stats.kernel, run->delivered);
    return run->stats.kernel;
}

KTEST(profile_counts_callers)
{
    struct hot_run run = profile_ticks_in(profile_test_outer);
    uint64_t kernel = kernel_samples(&run);
    uint64_t outer = profile_inclusive("profile_test_outer");
    uint64_t middle = profile_inclusive("profile_test_middle");
    uint64_t loop = profile_inclusive("profile_test_busy_loop");
    KT_ASSERT(loop * 10 >= kernel * 8,
              "profile_inclusive(\"profile_test_busy_loop\") is %lu of %lu samples, though the "
              "CPU spun in it all along (at least 80%% expected): a sample's own RIP counts",
              loop, kernel);
    KT_ASSERT(middle * 10 >= kernel * 8 && outer * 10 >= kernel * 8,
              "the busy loop was called by profile_test_middle, called by profile_test_outer, "
              "but profile_inclusive gives them %lu and %lu of %lu samples (at least 80%% "
              "expected): keep the callers' return addresses, walking the frame pointers from "
              "frame->rbp ([rbp + 8] the return address, [rbp] the caller's rbp)",
              middle, outer, kernel);
    KT_ASSERT(outer <= kernel && profile_inclusive("profile_target_a") == 0,
              "profile_inclusive(\"profile_test_outer\") is %lu of %lu samples and "
              "profile_inclusive(\"profile_target_a\"), never called, %lu",
              outer, kernel, profile_inclusive("profile_target_a"));
    run = profile_ticks_in(spin_recursively);
    kernel = kernel_samples(&run);
    uint64_t recursive = profile_inclusive("profile_test_recursive");
    KT_ASSERT(recursive <= kernel && recursive * 10 >= kernel * 8,
              "profile_test_recursive called itself twice, then the busy loop: it should be "
              "on the stack of (at least 80%% of) the %lu samples, each counted once however "
              "often it recurses; profile_inclusive says %lu",
              kernel, recursive);
}

/* ---- Samples the test gives itself ---------------------------------------- */

/* Six functions for samples to fall in, with bodies of their own. */
#define TARGET(name, k)                                                                            \
    __attribute__((noinline)) uint64_t name(uint64_t x);                                           \
    __attribute__((noinline)) uint64_t name(uint64_t x)                                            \
    {                                                                                              \
        __asm__ volatile("" : "+r"(x));                                                            \
        return x * (k) + (k);                                                                      \
    }
TARGET(profile_target_a, 3)
TARGET(profile_target_b, 5)
TARGET(profile_target_c, 7)
TARGET(profile_target_d, 11)
TARGET(profile_target_e, 13)
TARGET(profile_target_f, 17)

static uint64_t (*const targets[])(uint64_t) = {profile_target_a, profile_target_b,
                                                profile_target_c, profile_target_d,
                                                profile_target_e, profile_target_f};
static const char *const target_names[] = {"profile_target_a", "profile_target_b",
                                           "profile_target_c", "profile_target_d",
                                           "profile_target_e", "profile_target_f"};
#define TARGETS 6

/* An address inside target t, `offset` bytes in; the test's own mistake if
 * symbol_lookup disagrees. */
static uintptr_t inside(int t, uint64_t offset)
{
    uintptr_t rip = (uintptr_t)targets[t] + offset;
    struct symbol_info info;
    KT_ASSERT(symbol_lookup(rip, &info) && strcmp(info.function, target_names[t]) == 0,
              "test set-up: %p is not inside %s", (void *)rip, target_names[t]);
    return rip;
}

KTEST(profile_counts_user_mode_apart)
{
    struct trap_frame frame;
    memset(&frame, 0, sizeof(frame));
    profile_stop();
    frame.rip = inside(0, 0);
    frame.cs = KERNEL_CS;
    profile_tick(&frame); /* before profile_start: not counted */
    profile_start();
    for (int i = 0; i < 10; i++) {
        frame.rip = 0x400000 + (uintptr_t)i * 16;
        frame.cs = USER_CS;
        profile_tick(&frame);
    }
    for (int i = 0; i < 5; i++) {
        frame.rip = inside(1, (uint64_t)i % 4);
        frame.cs = KERNEL_CS;
        profile_tick(&frame);
    }
    profile_stop();
    frame.rip = inside(2, 0);
    profile_tick(&frame); /* after profile_stop: not counted */
    struct profile_stats s;
    profile_get_stats(&s);
    KT_ASSERT(s.ticks == 15,
              "15 ticks between profile_start and profile_stop (and one before, one after), "
              "but the profile counted %lu: only ticks while profiling count",
              s.ticks);
    KT_ASSERT(s.user == 10 && s.kernel == 5,
              "10 ticks from user mode (frame->cs 0x%x) and 5 from the kernel (cs 0x%x) were "
              "counted as %lu user and %lu kernel: user mode is the low two bits of cs being 3",
              USER_CS, KERNEL_CS, s.user, s.kernel);
    struct profile_entry entries[4];
    size_t n = profile_histogram(entries, 4);
    KT_ASSERT(n == 1 && entries[0].count == 5 && entries[0].function &&
                  strcmp(entries[0].function, "profile_target_b") == 0,
              "the histogram should hold the 5 kernel samples, all in profile_target_b; it has "
              "%zu %s (the first: %lu in '%s'): user-mode samples are counted, not recorded",
              n, n == 1 ? "function" : "functions", n ? entries[0].count : 0,
              n && entries[0].function ? entries[0].function : "?");
}

KTEST(profile_table_is_bounded)
{
    profile_start();
    for (uint64_t i = 0; i < PROFILE_MAX_SAMPLES + 123; i++)
        profile_record(inside((int)(i % 2), i % 4), 0, false);
    profile_stop();
    struct profile_stats s;
    profile_get_stats(&s);
    KT_ASSERT(s.kernel == PROFILE_MAX_SAMPLES && s.dropped == 123,
              "%d kernel samples into a table of PROFILE_MAX_SAMPLES (%d): the table should "
              "hold %d and 123 be counted as dropped; the profile says %lu recorded, %lu "
              "dropped",
              PROFILE_MAX_SAMPLES + 123, PROFILE_MAX_SAMPLES, PROFILE_MAX_SAMPLES, s.kernel,
              s.dropped);
    struct profile_entry entries[4];
    size_t n = profile_histogram(entries, 4);
    KT_ASSERT(n == 2 && entries[0].count + entries[1].count == PROFILE_MAX_SAMPLES,
              "after an overflow the histogram should still count the %d samples the table "
              "holds, in 2 functions; it has %zu functions",
              PROFILE_MAX_SAMPLES, n);
    static char report[512];
    profile_report(report, sizeof(report), 4);
    KT_ASSERT(strstr(report, " 123 dropped"),
              "profile_report's first line should say the 123 dropped samples: \"%.80s\"", report);
}

/* Host-checked (grading/test_lab3_trap.py): seeded numbers of samples in
 * the six targets, in user mode and outside every function, fed in a
 * seeded order; the report for a seeded `top`, line by line. */
#define MAX_FED (TARGETS * 5 + 7 + 3)

KTEST(profile_seeded_report)
{
    uint64_t state = ktest_seed();
    uint64_t counts[TARGETS];
    for (int t = 0; t < TARGETS; t++)
        counts[t] = ktest_random_below(&state, 6); /* ties likely */
    uint64_t user = 1 + ktest_random_below(&state, 7), unknown = ktest_random_below(&state, 4);
    size_t top = 3 + (size_t)ktest_random_below(&state, 4);
    /* Which sample goes in which order: -1 user, -2 unknown, else a target. */
    int order[MAX_FED];
    size_t n = 0;
    for (int t = 0; t < TARGETS; t++)
        for (uint64_t i = 0; i < counts[t]; i++)
            order[n++] = t;
    for (uint64_t i = 0; i < user; i++)
        order[n++] = -1;
    for (uint64_t i = 0; i < unknown; i++)
        order[n++] = -2;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ktest_random_below(&state, i);
        int swap = order[i - 1];
        order[i - 1] = order[j];
        order[j] = swap;
    }
    profile_start();
    for (size_t i = 0; i < n; i++) {
        uint64_t offset = ktest_random_below(&state, 4);
        if (order[i] == -1)
            profile_record(0x400000 + offset, 0, true);
        else if (order[i] == -2)
            profile_record(0x10 + offset, 0, false); /* in no function */
        else
            profile_record(inside(order[i], offset), 0, false);
    }
    profile_stop();
    static char report[1024];
    int length = profile_report(report, sizeof(report), top);
    KT_ASSERT(length == (int)strlen(report), "profile_report returned %d, but wrote %zu characters",
              length, strlen(report));
    /* Too small a buffer: cut short, NUL-terminated, nothing written past it,
     * and the length it would have needed returned. */
    static struct {
        char text[16];
        char guard[16];
    } small;
    memset(small.guard, 0x5a, sizeof(small.guard));
    int needed = profile_report(small.text, sizeof(small.text), top);
    bool guard_intact = true;
    for (size_t i = 0; i < sizeof(small.guard); i++)
        guard_intact &= small.guard[i] == 0x5a;
    KT_ASSERT(guard_intact, "profile_report wrote past the end of a 16-byte buffer");
    KT_ASSERT(needed == length && small.text[15] == '\0' && strncmp(small.text, report, 15) == 0,
              "profile_report into a 16-byte buffer returned %d (the full report needs %d) and "
              "wrote \"%.15s\": it should write the first 15 characters and a NUL, and return "
              "the length it needed, as ksnprintf does",
              needed, length, small.text);
    ktest_answer("top %zu", top);
    for (char *line = report, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        KT_ASSERT(end, "the report's last line does not end with a newline: \"%s\"", line);
        *end = '\0';
        ktest_answer("report: %s", line);
    }
}
