/* Deliberate crashes, run only when named (keel.test=crash_…): the test suite
 * boots each and checks that the framework reports it and the grader names it. */
#include <keel/keel.h>
#include <ktest.h>

/* These functions recurse or crash on purpose. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"

__attribute__((noinline)) static void crash_helper_panics(int depth)
{
    if (depth == 0)
        panic("deliberate panic for the self-test (value %d)", 42);
    crash_helper_panics(depth - 1);
    __asm__ volatile("" ::: "memory");
}

KTEST(crash_panic)
{
    crash_helper_panics(2);
}

__attribute__((noinline)) static void crash_helper_invalid_opcode(void)
{
    __asm__ volatile("ud2");
}

KTEST(crash_invalid_opcode)
{
    crash_helper_invalid_opcode();
    __asm__ volatile("" ::: "memory");
}

/* A table of two handlers with text right after it, as a linker may lay
 * them out: the entry one past the end is the text's first eight bytes. */
static void crash_helper_nothing(void) {}

static struct {
    void (*handlers[2])(void);
    char text[16];
} crash_table = {{crash_helper_nothing, crash_helper_nothing}, "breakpoints"};

KTEST(crash_call_past_table_end)
{
    void (**entry)(void) = crash_table.handlers; /* through a pointer: no bounds check */
    size_t index = 2 + (size_t)cmdline_get_long("keel.nosuch", 0);
    entry[index]();
    __asm__ volatile("" ::: "memory");
}

KTEST(crash_null_dereference)
{
    volatile int *nothing = (volatile int *)(uintptr_t)cmdline_get_long("keel.nosuch", 0);
    *nothing = 1;
}

__attribute__((noinline)) static int crash_helper_recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    return crash_helper_recurse(n + 1) + pad[0];
}

KTEST(crash_stack_overflow)
{
    crash_helper_recurse(0);
}

KTEST(crash_triple_fault)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } empty = {0, 0};
    __asm__ volatile("lidt %0; int3" ::"m"(empty));
}

__attribute__((noinline)) static void crash_helper_spin(void)
{
    for (;;)
        __asm__ volatile("pause");
}

KTEST(crash_hang)
{
    crash_helper_spin();
}

KTEST(crash_test_failure)
{
    KT_ASSERT_EQ(1 + 1, 3, "deliberately wrong arithmetic");
}

/* In a CHECKED=1 build the sanitizer reports this; otherwise it wraps. */
KTEST(crash_undefined_behaviour)
{
    volatile int big = 0x7fffffff, one = 1;
    int sum = big + one;
    KT_FAIL("signed overflow was not caught (sum %d): is this a CHECKED=1 build?", sum);
}

/* A frame carrying the wrong nonce must be ignored by the graders. */
KTEST(crash_forged_pass)
{
    kprintf("\n@@keel:forged:PASS:crash_forged_pass\n");
    kernel_power_off(KEEL_EXIT_SUCCESS);
}

/* Planted leaks: each test passes its own checks but keeps what it
 * allocated, for the leak check after it to report what and where. */
static void *kept_block;
static phys_addr_t kept_frames, kept_root;

KTEST(crash_leaked_memory)
{
    kept_block = kmalloc(100);
    kept_frames = frame_alloc(1);
    kept_root = paging_new_root();
    KT_ASSERT(kept_block && kept_frames && kept_root, "out of memory");
}

/* What comes before ktest_memory_baseline may stay; what comes after not. */
KTEST(crash_leaked_after_baseline)
{
    static void *warm_up;
    warm_up = kmalloc(16);
    ktest_memory_baseline();
    kept_block = kmalloc(200);
    KT_ASSERT(warm_up && kept_block, "out of memory");
}

/* Memory corrupted by an earlier store, for the record-and-replay test
 * (grading/selftest/test_replay.py): one function writes one element past
 * its array, into the guard word beside it; much later a check finds the
 * guard changed and panics. From the panic, a watchpoint on the guard and
 * reverse-continue must land on the guilty store (marked below). */
#define LEDGER_GUARD 0x600dc0deul

static struct {
    uint64_t samples[4];
    uint64_t guard;
} crash_ledger = {{0}, LEDGER_GUARD};

__attribute__((noinline)) static void crash_helper_record_samples(size_t count)
{
    for (size_t i = 0; i < count; i++)
        crash_ledger.samples[i] = 0x5a00 + i; /* GUILTY STORE: i reaches 4 */
}

__attribute__((noinline)) static uint64_t crash_helper_sum_samples(void)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < 4; i++)
        sum += crash_ledger.samples[i];
    return sum;
}

KTEST(crash_corrupted_by_an_earlier_store)
{
    /* One too many, as far as the compiler can tell only at run time. */
    crash_helper_record_samples(5 + (size_t)cmdline_get_long("keel.nosuch", 0));
    uint64_t sum = 0;
    for (int round = 0; round < 1000; round++)
        sum += crash_helper_sum_samples();
    kprintf("sum of the samples over 1000 rounds: %lu\n", (unsigned long)sum);
    if (crash_ledger.guard != LEDGER_GUARD)
        panic("the ledger's guard word changed from %#lx to %#lx", LEDGER_GUARD,
              (unsigned long)crash_ledger.guard);
}
