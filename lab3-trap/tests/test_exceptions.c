/* Lab 3 tests, part 1: describing exceptions, recovering from breakpoints. */
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
