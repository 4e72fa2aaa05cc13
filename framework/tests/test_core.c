/* The framework's own tests: formatting, strings, command line, symbols,
 * backtraces, memory bookkeeping, console capture and port-I/O mocks. */
#include <keel/keel.h>
#include <keel/testing.h>
#include <ktest.h>

static char out[512];

#define EXPECT_FORMAT(expected, ...)                                                               \
    do {                                                                                           \
        int n_ = ksnprintf(out, sizeof(out), __VA_ARGS__);                                         \
        KT_ASSERT(strcmp(out, expected) == 0, "format %s gave \"%s\", expected \"%s\"",            \
                  #__VA_ARGS__, out, expected);                                                    \
        KT_ASSERT_EQ(n_, (int)strlen(expected), "returned length");                                \
    } while (0)

KTEST(kprintf_formats)
{
    EXPECT_FORMAT("42 -7 0", "%d %i %u", 42, -7, 0u);
    EXPECT_FORMAT("ff FF 0xff 377", "%x %X %#x %o", 255u, 255u, 255u, 255u);
    EXPECT_FORMAT("[   42] [42   ] [00042]", "[%5d] [%-5d] [%05d]", 42, 42, 42);
    EXPECT_FORMAT("[  abc] [ab]", "[%5s] [%.2s]", "abc", "abc");
    EXPECT_FORMAT("-9223372036854775808", "%lld", (long long)(-9223372036854775807LL - 1));
    EXPECT_FORMAT("18446744073709551615", "%lu", ~0ul);
    EXPECT_FORMAT("0x00000000deadbeef", "%p", (void *)0xdeadbeef);
    const char *volatile nothing = NULL; /* hidden from the compiler's format check */
    EXPECT_FORMAT("(null) 100% x", "%s 100%% %c", nothing, 'x');
    EXPECT_FORMAT("[  7] [7  ]", "[%*d] [%-*d]", 3, 7, 3, 7);
    EXPECT_FORMAT("+5 -5", "%+d %+d", 5, -5);
    const char *volatile unknown_format = "%q";
    EXPECT_FORMAT("<%q>", unknown_format);
    EXPECT_FORMAT("12", "%zu", (size_t)12);
}

KTEST(ksnprintf_truncates)
{
    char small[6];
    int n = ksnprintf(small, sizeof(small), "%s", "hello world");
    KT_ASSERT_EQ(n, 11, "length of the untruncated output");
    KT_ASSERT(strcmp(small, "hello") == 0, "truncated output is \"%s\"", small);
}

KTEST(string_functions)
{
    KT_ASSERT_EQ(strlen("keel"), 4, "strlen");
    KT_ASSERT(strcmp("a", "b") < 0 && strcmp("b", "a") > 0 && strcmp("k", "k") == 0, "strcmp");
    KT_ASSERT(strncmp("keel1", "keel2", 4) == 0, "strncmp");
    KT_ASSERT(strstr("hello world", "wor") != NULL && strstr("abc", "x") == NULL, "strstr");
    char buf[8] = "abcdefg";
    memmove(buf + 1, buf, 5);
    KT_ASSERT(memcmp(buf, "aabcdeg", 7) == 0, "overlapping memmove gave %s", buf);
    KT_ASSERT_EQ(strlcpy(buf, "truncate me", 4), 11, "strlcpy return");
    KT_ASSERT(strcmp(buf, "tru") == 0, "strlcpy result %s", buf);
}

KTEST(cmdline_keys)
{
    char value[32];
    KT_ASSERT(cmdline_has("keel.test"), "keel.test is on the command line of a test run");
    KT_ASSERT(cmdline_get("keel.test", value, sizeof(value)), "keel.test has a value");
    KT_ASSERT(!cmdline_has("keel.nosuchkey"), "an absent key is absent");
    KT_ASSERT_EQ(cmdline_get_long("keel.nosuchkey", -3), -3, "fallback for an absent key");
}

/* The graders' nonce is the framework's secret: the kernel's own code cannot
 * read it from the command line (it would let lab code forge results). */
KTEST(grader_secret_is_not_on_the_command_line)
{
    KT_ASSERT(!cmdline_has("keel.nonce"), "keel.nonce is visible to the kernel: \"%s\"",
              cmdline_raw());
    KT_ASSERT(strstr(cmdline_raw(), "keel.nonce") == NULL,
              "the command line still holds a nonce: %s", cmdline_raw());
    KT_ASSERT(cmdline_has("keel.test"), "the other words are still there: \"%s\"", cmdline_raw());
}

__attribute__((noinline)) static uintptr_t where_am_i(void)
{
    return (uintptr_t)__builtin_return_address(0);
}

KTEST(symbol_lookup_names_functions)
{
    struct symbol_info info;
    uintptr_t self = (uintptr_t)&ktest_main;
    KT_ASSERT(symbol_lookup(self, &info), "symbol_lookup found no symbol for ktest_main");
    KT_ASSERT(strcmp(info.function, "ktest_main") == 0, "lookup of ktest_main gave %s",
              info.function);
    KT_ASSERT_EQ(info.offset, 0, "offset at the start of a function");
    KT_ASSERT_EQ(symbol_address("ktest_main"), self, "symbol_address(\"ktest_main\")");
    uintptr_t here = where_am_i();
    KT_ASSERT(symbol_lookup(here - 1, &info), "no symbol for a return address");
    KT_ASSERT(info.file && strstr(info.file, "framework/tests/test_core.c"),
              "file of a test function is %s", info.file ? info.file : "(none)");
    KT_ASSERT(info.line > 0, "line number known");
    KT_ASSERT(!symbol_lookup(0x1234, &info), "address 0x1234 is no kernel function");
}

__attribute__((noinline)) static void backtrace_level2(void)
{
    backtrace_print(0);
    __asm__ volatile("" ::: "memory"); /* keep the call from becoming a jump */
}

__attribute__((noinline)) static void backtrace_level1(void)
{
    backtrace_level2();
    __asm__ volatile("" ::: "memory"); /* keep the call from becoming a jump */
}

KTEST(backtrace_names_callers)
{
    static char trace[2048];
    KT_ASSERT(console_capture_begin(trace, sizeof(trace)), "capture");
    backtrace_level1();
    console_capture_end();
    char *one = strstr(trace, "backtrace_level1");
    char *test = strstr(trace, "ktest_fn_backtrace_names_callers");
    KT_ASSERT(one && test && one < test, "backtrace did not list the callers in order:\n%s", trace);
    KT_ASSERT(strstr(trace, "test_core.c:"), "backtrace has no file:line:\n%s", trace);
}

KTEST(page_array_accounts_memory)
{
    const struct boot_info *info = boot_info_get();
    KT_ASSERT(info->region_count > 0, "memory map is empty");
    KT_ASSERT(info->usable_bytes > 32ul << 20, "only %lu bytes usable", info->usable_bytes);
    struct page *kernel = phys_to_page(mm_kernel_start());
    KT_ASSERT(kernel && kernel->state == PAGE_KERNEL_IMAGE, "kernel frames not marked");
    KT_ASSERT(phys_to_page(0)->state == PAGE_RESERVED_FIRMWARE, "frame 0 must never be handed out");
    KT_ASSERT(mm_count_frames(PAGE_FRAMEWORK) > 0, "page tables/page array not marked");
    uint64_t free = mm_count_frames(PAGE_FREE);
    KT_ASSERT(free * PAGE_SIZE <= info->usable_bytes && free * PAGE_SIZE > info->usable_bytes / 2,
              "%lu free frames for %lu usable bytes", free, info->usable_bytes);
}

/* Code and read-only data stay read-only through every mapping of them, the
 * direct map included: changing what the framework or the test runner says
 * takes more than a store. (On Linux the direct-map alias of the image is not
 * the program's own memory, so a store there changes nothing either.) */
KTEST(kernel_constants_are_read_only_everywhere)
{
    static const char verdict[] = "FAIL";
    volatile char *direct = phys_to_virt(virt_to_phys(verdict));
    KT_ASSERT(!safe_write8((volatile char *)verdict, 'P'), "the kernel's constants are writable");
    safe_write8(direct, 'P');
    KT_ASSERT(((volatile const char *)verdict)[0] == 'F',
              "a store through the direct map changed a constant");
    KT_ASSERT(!safe_write8((volatile void *)(uintptr_t)kprintf, 0xc3),
              "the kernel's code is writable");
}

KTEST(direct_map_reaches_ram)
{
    static uint64_t probe = 0x1122334455667788ull;
    phys_addr_t pa = virt_to_phys(&probe);
    uint64_t *alias = phys_to_virt(pa);
    KT_ASSERT(*alias == probe, "direct map alias reads %#lx", *alias);
    *alias = 42;
    KT_ASSERT_EQ(probe, 42, "write through the direct map");
    KT_ASSERT_EQ(virt_to_phys(alias), pa, "virt_to_phys of a direct-map address");
}

KTEST(multiboot2_block_matches_boot_info)
{
    const struct boot_info *info = boot_info_get();
    const struct mb2_info *mbi = info->multiboot2;
    KT_ASSERT(mbi && mbi->total_size >= 16, "no Multiboot2 block");
    bool saw_mmap = false, saw_cmdline = false;
    for (const struct mb2_tag *t = (const void *)(mbi + 1); t->type != MB2_TAG_END;
         t = (const void *)((const uint8_t *)t + ((t->size + 7) & ~7u))) {
        saw_mmap |= t->type == MB2_TAG_MMAP;
        if (t->type == MB2_TAG_CMDLINE)
            saw_cmdline = strcmp(((const struct mb2_tag_string *)t)->string, info->cmdline) == 0;
    }
    KT_ASSERT(saw_mmap && saw_cmdline, "Multiboot2 block lacks the memory map or command line");
}

KTEST(console_capture_and_inject)
{
    char buf[64];
    KT_ASSERT(console_capture_begin(buf, sizeof(buf)), "capture");
    kprintf("captured %d", 7);
    size_t n = console_capture_end();
    KT_ASSERT(strcmp(buf, "captured 7") == 0 && n == 10, "captured \"%s\"", buf);
    console_inject_input("ab", 2);
    KT_ASSERT(console_getc() == 'a' && console_getc() == 'b', "injected input");
}

static uint32_t mock_reads;
static uint32_t fake_read(struct io_mock *mock, uint16_t port, int width)
{
    mock_reads++;
    return (uint32_t)(port - mock->base) * 16u + (uint32_t)width;
}
static uint32_t last_written;
static void fake_write(struct io_mock *mock, uint16_t port, int width, uint32_t value)
{
    (void)mock;
    (void)port;
    (void)width;
    last_written = value;
}

KTEST(io_mock_intercepts_ports)
{
    struct io_mock mock = {.base = 0x500, .count = 8, .read = fake_read, .write = fake_write};
    io_mock_install(&mock);
    uint8_t v = io_in8(0x503);
    io_out16(0x504, 0xbeef);
    io_mock_remove();
    KT_ASSERT_EQ(v, 3 * 16 + 1, "mocked read (offset 3, width 1)");
    KT_ASSERT_EQ(last_written, 0xbeef, "mocked write");
    KT_ASSERT_EQ(mock_reads, 1, "reads reaching the mock");
}

static volatile int breakpoint_hits;

static bool count_breakpoint(struct trap_frame *frame)
{
    (void)frame;
    breakpoint_hits++;
    return true; /* int3 is a trap: RIP already points past it */
}

KTEST(trap_handler_recovers_from_breakpoint)
{
    breakpoint_hits = 0;
    trap_handler_t previous = trap_set_handler(TRAP_BREAKPOINT, count_breakpoint);
    __asm__ volatile("int3");
    __asm__ volatile("int3");
    trap_set_handler(TRAP_BREAKPOINT, previous);
    KT_ASSERT_EQ(breakpoint_hits, 2, "breakpoints seen by the handler");
}

/* The seeded sequence of host-checked tests: the grader's keelgrade/seeded.py
 * must compute the same numbers (grading/selftest/test_framework.py). */
KTEST(seeded_sequence_matches_the_grader)
{
    uint64_t state = ktest_seed();
    for (int i = 0; i < 4; i++)
        ktest_answer("%lu", ktest_random(&state));
    ktest_answer("%lu", ktest_random_below(&state, 1000));
}
