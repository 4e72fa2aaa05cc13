/* Lab 1 tests, part 2: walking Multiboot2 memory maps, made-up and real. */
#include <ktest.h>

#include "../lab1.h"

/* A made-up information block, built tag by tag. */
static uint8_t block[1024] __attribute__((aligned(8)));
static size_t used;

static void *add_tag(uint32_t type, uint32_t size)
{
    struct mb2_tag *tag = (struct mb2_tag *)(block + used);
    memset(tag, 0xee, (size + 7) & ~7u); /* garbage in the padding, as real loaders may leave */
    tag->type = type;
    tag->size = size;
    used += (size + 7) & ~7u;
    return tag;
}

static void start_block(void)
{
    memset(block, 0, sizeof(block));
    used = sizeof(struct mb2_info);
}

static const struct mb2_info *finish_block(void)
{
    add_tag(MB2_TAG_END, 8);
    ((struct mb2_info *)block)->total_size = (uint32_t)used;
    ((struct mb2_info *)block)->reserved = 0;
    return (const struct mb2_info *)block;
}

static void add_mmap(uint32_t entry_size, const struct mb2_mmap_entry *entries, size_t count)
{
    struct mb2_tag_mmap *tag = add_tag(MB2_TAG_MMAP, (uint32_t)(16 + entry_size * count));
    tag->entry_size = entry_size;
    tag->entry_version = 0;
    for (size_t i = 0; i < count; i++)
        memcpy(tag->entries + i * entry_size, &entries[i], sizeof(entries[i]));
}

struct seen {
    struct mb2_mmap_entry entries[16];
    size_t count;
};

static void remember(const struct mb2_mmap_entry *entry, void *ctx)
{
    struct seen *seen = ctx;
    if (seen->count < 16)
        seen->entries[seen->count] = *entry;
    seen->count++;
}

static const struct mb2_mmap_entry three[] = {
    {0x0, 0x9fc00, MB2_MEMORY_AVAILABLE, 0},
    {0x9fc00, 0x400, MB2_MEMORY_RESERVED, 0},
    {0x100000, 0x7ee0000, MB2_MEMORY_AVAILABLE, 0},
};

static void check_three(const struct seen *seen, size_t returned, const char *what)
{
    KT_ASSERT(returned == 3 && seen->count == 3,
              "%s: expected 3 memory map entries, the callback saw %zu (memmap_walk returned %zu)",
              what, seen->count, returned);
    for (size_t i = 0; i < 3; i++)
        KT_ASSERT(seen->entries[i].base_addr == three[i].base_addr &&
                      seen->entries[i].length == three[i].length &&
                      seen->entries[i].type == three[i].type,
                  "%s: entry %zu is base %#lx length %#lx type %u; expected base %#lx length %#lx "
                  "type %u",
                  what, i, seen->entries[i].base_addr, seen->entries[i].length,
                  seen->entries[i].type, three[i].base_addr, three[i].length, three[i].type);
}

KTEST(memmap_finds_map_among_other_tags)
{
    start_block();
    struct mb2_tag_string *cmdline = add_tag(MB2_TAG_CMDLINE, 8 + 5); /* needs padding */
    memcpy(cmdline->string, "quiet", 5);
    struct mb2_tag_module *module = add_tag(MB2_TAG_MODULE, 16 + 3);
    module->mod_start = 0x200000;
    module->mod_end = 0x201000;
    memcpy(module->cmdline, "sh", 3);
    add_mmap(sizeof(struct mb2_mmap_entry), three, 3);
    const struct mb2_info *mbi = finish_block();
    struct seen seen = {0};
    size_t returned = memmap_walk(mbi, remember, &seen);
    check_three(&seen, returned, "memory map after a command-line and a module tag");
}

KTEST(memmap_steps_by_entry_size)
{
    start_block();
    add_mmap(32, three, 3); /* 8 bytes more per entry than the struct */
    const struct mb2_info *mbi = finish_block();
    struct seen seen = {0};
    size_t returned = memmap_walk(mbi, remember, &seen);
    check_three(&seen, returned, "memory map with entry_size 32 (step by entry_size, not sizeof)");
}

KTEST(memmap_total_counts_available_only)
{
    start_block();
    add_tag(MB2_TAG_BOOTLOADER_NAME, 8 + 1);
    add_mmap(sizeof(struct mb2_mmap_entry), three, 3);
    const struct mb2_info *mbi = finish_block();
    uint64_t total = memmap_total_usable(mbi);
    KT_ASSERT_EQ(total, 0x9fc00 + 0x7ee0000, "total usable bytes (type 1 entries only)");
}

KTEST(memmap_matches_real_boot_information)
{
    const struct boot_info *info = boot_info_get();
    struct seen seen = {0};
    size_t returned = memmap_walk(info->multiboot2, remember, &seen);
    KT_ASSERT(returned == info->region_count,
              "the real memory map has %zu entries; memmap_walk reported %zu", info->region_count,
              returned);
    KT_ASSERT_EQ(memmap_total_usable(info->multiboot2), info->usable_bytes,
                 "total usable bytes in the real memory map");
}

/* A tag the walker must step over: a type it does not care about (one
 * unknown to the specification among them) and a size that usually needs
 * padding, with garbage in the body and the padding. */
static void add_other_tag(uint64_t *state)
{
    static const uint32_t types[] = {MB2_TAG_CMDLINE, MB2_TAG_BOOTLOADER_NAME, MB2_TAG_MODULE,
                                     MB2_TAG_BASIC_MEMINFO, 21};
    uint32_t type = types[ktest_random_below(state, KEEL_ARRAY_SIZE(types))];
    add_tag(type, 8 + (uint32_t)ktest_random_below(state, 41));
}

/* Host-checked (grading/test_lab1_boot.py): three information blocks built
 * from the run's seed, each with other tags around a memory map whose
 * entry_size, entries and types are random. The grader checks every entry
 * the callback saw, the count and the usable total. */
KTEST(memmap_walks_seeded_maps)
{
    uint64_t state = ktest_seed();
    for (unsigned map = 1; map <= 3; map++) {
        start_block();
        for (uint64_t n = ktest_random_below(&state, 4); n > 0; n--)
            add_other_tag(&state);
        uint32_t entry_size = 24 + 8 * (uint32_t)ktest_random_below(&state, 4);
        size_t count = 1 + ktest_random_below(&state, 10);
        struct mb2_mmap_entry entries[10];
        for (size_t i = 0; i < count; i++) {
            uint64_t base = ktest_random(&state) & 0xffffffffffffull;
            uint64_t length = 1 + ktest_random_below(&state, 1ull << 36);
            uint32_t kind = (uint32_t)ktest_random_below(&state, 8);
            /* Half available memory, the rest spread over types 2-5. */
            entries[i] = (struct mb2_mmap_entry){base, length, kind < 4 ? 1 : kind - 2, 0};
        }
        add_mmap(entry_size, entries, count);
        for (uint64_t n = ktest_random_below(&state, 3); n > 0; n--)
            add_other_tag(&state);
        const struct mb2_info *mbi = finish_block();

        struct seen seen = {0};
        size_t returned = memmap_walk(mbi, remember, &seen);
        for (size_t i = 0; i < seen.count && i < 16; i++)
            ktest_answer("map %u entry %zu: base 0x%lx length 0x%lx type %u", map, i + 1,
                         seen.entries[i].base_addr, seen.entries[i].length, seen.entries[i].type);
        ktest_answer("map %u: memmap_walk returned %zu, the callback ran %zu times, "
                     "memmap_total_usable 0x%lx",
                     map, returned, seen.count, memmap_total_usable(mbi));
    }
}
