/* In-kernel tests: how labs and the framework write tests that run inside the
 * kernel and report to the graders through the grader protocol.
 *
 *   KTEST(serial_init_sets_8n1) {
 *       struct fake_uart u = ...;
 *       KT_ASSERT(u.lcr == 0x03, "LCR is %#x, expected 0x03 (8 data bits, no parity, 1 stop bit)",
 * u.lcr);
 *   }
 *
 * A test passes if it returns. KT_ASSERT / KT_FAIL end the test at once (from
 * any depth of calls, the runner longjmps back) with the message as the
 * reason the grader shows the student. An exception or panic inside a test
 * ends the whole run; the grader reports it with the backtrace.
 *
 * A test must give back what it allocates: after a test that passed, the
 * runner checks that lab code holds no more frames (page-table pages
 * included), heap blocks and threads than before it, and fails the test
 * otherwise, naming what leaked and where it was allocated (function,
 * file:line). Free what a test allocates; something kept on purpose (a
 * cache, a structure created on first use) is allocated first, then
 * ktest_memory_baseline() tells the check to compare with that moment.
 *
 * Booting with keel.test=NAME runs that test, keel.test=all runs every test
 * in source order, keel.test=list lists them; the kernel then powers off.
 * Names starting with crash_ (deliberate crashes), bench_ (benchmarks) and
 * needs_ (tests that need a special boot, such as boot modules) run only when
 * named. */
#ifndef KEEL_KTEST_H
#define KEEL_KTEST_H

#include <keel/types.h>

/* One registered test: what KTEST places in the keel_tests section for the
 * runner to find (name, function, and where it is defined). */
struct ktest {
    const char *name;
    void (*run)(void);
    const char *file;
    int line;
};

/* Define a test: KTEST(buddy_splits) { ... }. Its name is the boot argument
 * keel.test=buddy_splits; it passes when the body returns. */
#define KTEST(test_name)                                                                           \
    static void ktest_fn_##test_name(void);                                                        \
    static const struct ktest ktest_desc_##test_name                                               \
        __attribute__((used, section("keel_tests"), aligned(8))) = {                               \
            #test_name, ktest_fn_##test_name, __FILE__, __LINE__};                                 \
    static void ktest_fn_##test_name(void)

/* End the current test as failed with a printf-style reason. Never returns. */
KEEL_NORETURN void ktest_fail_at(const char *file, int line, const char *fmt, ...)
    KEEL_PRINTF(3, 4);

/* KT_FAIL("got %d", n): ktest_fail_at with the caller's file and line. */
#define KT_FAIL(...) ktest_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* Fail with the reason unless `cond` holds. */
#define KT_ASSERT(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ktest_fail_at(__FILE__, __LINE__, __VA_ARGS__);                                        \
    } while (0)

/* Fail unless two integers are equal; the message shows both values. */
#define KT_ASSERT_EQ(actual, expected, what)                                                       \
    do {                                                                                           \
        long long ktest_a_ = (long long)(actual), ktest_e_ = (long long)(expected);                \
        if (ktest_a_ != ktest_e_)                                                                  \
            ktest_fail_at(__FILE__, __LINE__, "%s: got %lld (%#llx), expected %lld (%#llx)", what, \
                          ktest_a_, (unsigned long long)ktest_a_, ktest_e_,                        \
                          (unsigned long long)ktest_e_);                                           \
    } while (0)

/* From now on the current test's leak check compares with what lab code
 * holds now, not with what it held when the test started: call it after a
 * warm-up that keeps memory on purpose (a cache filled, a table created on
 * first use), before the part of the test that must give back everything.
 * Only inside a test. */
void ktest_memory_baseline(void);

/* Ask the grader to check that `text` appears in the serial output (outside
 * protocol frames) before the run ends: for output that only the outside
 * world can see, such as bytes a student's driver put on the wire. */
void ktest_expect_output(const char *text);

/* ---- Host-checked tests -----------------------------------------------------
 * The grader boots such a test with a fresh random seed (keel.seed=N) and
 * computes, on the host, what the kernel must answer for that seed; the test
 * draws its work from the seed and reports what the kernel computed, one line
 * at a time, with ktest_answer. Printing or special-casing cannot pass it: the
 * answers are checked line by line against the host's, and a test that fails
 * or crashes has no answers worth checking. Keep each line short (< 200
 * characters) and deterministic for a given seed. */

/* The run's seed (keel.seed=N, decimal); 1 if the command line has none (a
 * run by hand, or keel.test=all). Fails the test if N is not a number. */
uint64_t ktest_seed(void);

/* The next number of the seeded sequence in *state (SplitMix64; the graders'
 * keelgrade/seeded.py computes the same sequence). */
uint64_t ktest_random(uint64_t *state);

/* A number in [0, bound) from *state (bound > 0). */
uint64_t ktest_random_below(uint64_t *state, uint64_t bound);

/* Report one line of the answer (an ANSWER frame, in order). */
void ktest_answer(const char *fmt, ...) KEEL_PRINTF(1, 2);

/* Report a benchmark figure to `make bench` ("BENCH name value unit"). */
void ktest_bench_report(const char *name, uint64_t value, const char *unit);

/* Run the tests selected by keel.test= and power off. Returns without doing
 * anything if keel.test is absent. Called by the lab kernel's kmain. */
void ktest_main(void);

#endif
