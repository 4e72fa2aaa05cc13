/* Lab 3 tests, part 1: describing exceptions, recovering from breakpoints. */
#include <keel/testing.h>
#include <ktest.h>

#include "../lab3.h"

static char line[256];

static const char *describe(unsigned vector, uint64_t error, uint64_t rip, uint64_t address)
{
    struct trap_frame frame = {.vector = vector, .error_code = error, .rip = rip};
    memset(line, 0, sizeof(line));
    exception_describe(&frame, address, line, sizeof(line));
    return line;
}

static void expect_in(const char *text, const char *const *words, size_t count, const char *what)
{
    for (size_t i = 0; i < count; i++)
        KT_ASSERT(strstr(text, words[i]), "%s: the description should contain \"%s\"; it is:\n%s",
                  what, words[i], text);
}

KTEST(describe_page_fault_write_not_present)
{
    const char *text = describe(TRAP_PAGE_FAULT, 0x2, 0xffffffff80104321ul, 0xdeadb000);
    static const char *const words[] = {"page fault (vector 14) at RIP 0xffffffff80104321",
                                        "error code 0x2",
                                        "address 0xdeadb000",
                                        "write",
                                        "page not present",
                                        "kernel mode"};
    expect_in(text, words, KEEL_ARRAY_SIZE(words), "a kernel write to an unmapped page");
}

KTEST(describe_page_fault_user_fetch_protection)
{
    const char *text = describe(TRAP_PAGE_FAULT, 0x15, 0x401000, 0x401000);
    static const char *const words[] = {"error code 0x15", "instruction fetch",
                                        "protection violation", "user mode"};
    expect_in(text, words, KEEL_ARRAY_SIZE(words), "a user fetch from a no-execute page");
    text = describe(TRAP_PAGE_FAULT, 0x5, 0x401000, 0x7000);
    static const char *const read_words[] = {"read", "protection violation", "user mode"};
    expect_in(text, read_words, KEEL_ARRAY_SIZE(read_words), "a user read of a kernel page");
    KT_ASSERT(!strstr(text, "write"), "a read is not a write:\n%s", text);
}

KTEST(describe_other_exceptions)
{
    const char *text = describe(TRAP_GENERAL_PROTECTION, 0x18, 0xffffffff80100010ul, 0);
    static const char *const words[] = {"general protection fault (vector 13)",
                                        "RIP 0xffffffff80100010", "error code 0x18"};
    expect_in(text, words, KEEL_ARRAY_SIZE(words), "a general protection fault");
    KT_ASSERT(!strstr(text, "address"), "only page faults have a fault address:\n%s", text);
    text = describe(TRAP_DIVIDE_ERROR, 0, 0x1234, 0);
    static const char *const divide[] = {"divide error (vector 0)", "RIP 0x0000000000001234"};
    expect_in(text, divide, KEEL_ARRAY_SIZE(divide), "a divide error");
}

KTEST(breakpoints_are_counted_and_survived)
{
    lab3_install();
    uint64_t before = breakpoint_count();
    __asm__ volatile("int3");
    __asm__ volatile("int3");
    __asm__ volatile("int3");
    KT_ASSERT_EQ(breakpoint_count() - before, 3, "breakpoints counted after three int3");
}

/* Real exceptions from kernel code: each goes to your exception_handler,
 * through a wrapper that records what it printed and then skips the faulting
 * instruction (whose length it knows) so the test can go on. */
static char printed[512];
static uint64_t fault_rip;
static unsigned skip_bytes;

static bool capture_and_skip(struct trap_frame *frame)
{
    fault_rip = frame->rip;
    console_capture_begin(printed, sizeof(printed));
    exception_handler(frame); /* returns false: "stop"; the test goes on anyway */
    console_capture_end();
    frame->rip += skip_bytes;
    return true;
}

static void expect_report(unsigned vector)
{
    char rip[32], name[64];
    ksnprintf(rip, sizeof(rip), "0x%016lx", fault_rip);
    ksnprintf(name, sizeof(name), "%s (vector %u)", trap_name(vector), vector);
    KT_ASSERT(strstr(printed, "Exception: ") && strstr(printed, name) && strstr(printed, rip),
              "a real %s at RIP %s: exception_handler should print \"Exception: %s at RIP %s, "
              "...\"; it printed:\n%s",
              name, rip, name, rip, printed[0] ? printed : "(nothing)");
}

KTEST(exceptions_from_real_faults)
{
    static const unsigned vectors[] = {TRAP_DIVIDE_ERROR, TRAP_INVALID_OPCODE,
                                       TRAP_GENERAL_PROTECTION, TRAP_PAGE_FAULT};
    trap_handler_t saved[4];
    for (unsigned i = 0; i < 4; i++)
        saved[i] = trap_set_handler(vectors[i], capture_and_skip);

    skip_bytes = 2;
    __asm__ volatile("ud2");
    expect_report(TRAP_INVALID_OPCODE);

    skip_bytes = 3;
    __asm__ volatile("xorl %%edx, %%edx\n\t"
                     "xorl %%ecx, %%ecx\n\t"
                     "movl $1, %%eax\n\t"
                     "divq %%rcx" /* 48 f7 f1 */
                     ::
                         : "rax", "rcx", "rdx");
    expect_report(TRAP_DIVIDE_ERROR);

    skip_bytes = 3;
    __asm__ volatile("movq %0, %%rax\n\t"
                     "movb $1, (%%rax)" /* c6 00 01 */
                     ::"r"(0x0000800000000000ul)
                     : "rax", "memory");
    expect_report(TRAP_GENERAL_PROTECTION);

    skip_bytes = 3;
    __asm__ volatile("movq %0, %%rax\n\t"
                     "movb $1, (%%rax)" ::"r"(0x10ul)
                     : "rax", "memory");
    expect_report(TRAP_PAGE_FAULT);
    KT_ASSERT(strstr(printed, "address 0x10") && strstr(printed, "write") &&
                  strstr(printed, "page not present"),
              "the page fault at address 0x10 (a write to an unmapped page) should be decoded; "
              "it printed:\n%s",
              printed);

    for (unsigned i = 0; i < 4; i++)
        trap_set_handler(vectors[i], saved[i]);
}

/* Host-checked (grading/test_lab3_trap.py): 24 exceptions drawn from the
 * run's seed, two thirds of them page faults with every combination of the
 * error-code bits the description decodes, the rest other exceptions with
 * error codes as the CPU gives them. RIP and CR2 are random, so nothing but
 * decoding the frame gives the right lines. The exception's name comes from
 * trap_name(), which the test checks here; the grader checks the rest of
 * each line against the format lab3.h gives. */
KTEST(describe_seeded_exceptions)
{
    static const unsigned others[] = {TRAP_DIVIDE_ERROR,        TRAP_INVALID_OPCODE,
                                      TRAP_DOUBLE_FAULT,        TRAP_INVALID_TSS,
                                      TRAP_SEGMENT_NOT_PRESENT, TRAP_STACK_FAULT,
                                      TRAP_GENERAL_PROTECTION,  TRAP_ALIGNMENT_CHECK};
    uint64_t state = ktest_seed();
    for (unsigned number = 1; number <= 24; number++) {
        unsigned vector;
        uint64_t error;
        if (ktest_random_below(&state, 3) == 0) {
            /* As the CPU has it: a segment selector's error code for
             * vectors 10-13, zero for the others (pushed by the framework,
             * or by the CPU for double faults and alignment checks). */
            vector = others[ktest_random_below(&state, KEEL_ARRAY_SIZE(others))];
            error = vector >= TRAP_INVALID_TSS && vector <= TRAP_GENERAL_PROTECTION
                        ? ktest_random_below(&state, 0x10000)
                        : 0;
        } else {
            /* Bit 0 present, bit 1 write or bit 4 fetch (never both), bit 2
             * user, and sometimes bit 3 (a reserved bit was set, which only
             * a present entry can have): the description ignores bit 3. */
            static const uint64_t access[] = {0, 0x2, 0x10};
            vector = TRAP_PAGE_FAULT;
            error = ktest_random_below(&state, 2);
            error |= access[ktest_random_below(&state, 3)];
            error |= ktest_random_below(&state, 2) << 2;
            if (error & 1)
                error |= ktest_random_below(&state, 2) << 3;
        }
        uint64_t rip = ktest_random(&state), address = ktest_random(&state);
        struct trap_frame frame = {.vector = vector, .error_code = error, .rip = rip};
        memset(line, 0, sizeof(line));
        int length = exception_describe(&frame, address, line, sizeof(line));
        const char *name = trap_name(vector);
        KT_ASSERT(strncmp(line, name, strlen(name)) == 0,
                  "the description of exception %u should start with its name from trap_name(), "
                  "\"%s\"; it is:\n%s",
                  vector, name, line);
        KT_ASSERT(length >= 0 && (size_t)length == strlen(line),
                  "exception_describe returned %d, but the description it wrote has %zu "
                  "characters (return what ksnprintf returns)",
                  length, strlen(line));
        ktest_answer("case %u: <name>%s", number, line + strlen(name));
    }
}
