/* Lab 2 tests, challenge part: 2 MiB pages (pt_map_huge, pt_unmap_huge,
 * pt_protect_huge, and the 4 KiB functions splitting them) and pt_print.
 * The tests call your functions directly and check the tables with the
 * framework's own walk (paging_lookup), which understands PTE_HUGE. */
#include <keel/safe.h>
#include <keel/testing.h>
#include <keel/user.h>
#include <ktest.h>

#include "support.h"

/* 2 MiB of frames, 2 MiB aligned (an order-9 block). */
static phys_addr_t huge_frames(void)
{
    phys_addr_t frames = frame_alloc(9);
    KT_ASSERT(frames, "no memory for 2 MiB of frames");
    return frames;
}

#define EXPECT_RESULT(call, expected, ...)                                                         \
    do {                                                                                           \
        int result_ = (call);                                                                      \
        KT_ASSERT(result_ == (expected), "%s returned %s, expected %s: %s", #call,                 \
                  result_name(result_), result_name(expected), __VA_ARGS__);                       \
    } while (0)

/* The framework's walk must find one 2 MiB entry for `va` mapping `frames`
 * with `flags` (PTE_WRITABLE, PTE_USER, PTE_NO_EXECUTE). */
static void expect_huge_entry(phys_addr_t root, uintptr_t va, phys_addr_t frames, uint64_t flags)
{
    /* The level-2 entry first, read straight from the tables. */
    phys_addr_t table = root;
    for (int above = 4; above > 2; above--) {
        pte_t entry = pt_table(table)[pt_index(va, above)];
        KT_ASSERT(pte_present(entry) && !(entry & PTE_HUGE),
                  "the level-%d entry above %#lx is %#lx: it should point at a table", above, va,
                  entry);
        table = pte_address(entry);
    }
    pte_t level2 = pt_table(table)[pt_index(va, 2)];
    KT_ASSERT(pte_present(level2), "the level-2 entry for %#lx is not present", va);
    KT_ASSERT(level2 & PTE_HUGE,
              "the level-2 entry for %#lx (%#lx) lacks PTE_HUGE (the PS bit): the CPU takes "
              "the frames it points at for a page table instead of mapping 2 MiB with this "
              "one entry",
              va, level2);
    int level = 0;
    pte_t entry = paging_lookup(root, va, &level);
    uint64_t checked = PTE_WRITABLE | PTE_USER | PTE_NO_EXECUTE;
    KT_ASSERT(level == 2 && (entry & PTE_HUGE),
              "%#lx is mapped by an entry at level %d (%#lx), not by one level-2 entry with "
              "PTE_HUGE (the PS bit) set",
              va, level, entry);
    KT_ASSERT(pte_address(entry) == frames,
              "the 2 MiB entry for %#lx points at %#lx, not at the frames %#lx", va,
              pte_address(entry), frames);
    KT_ASSERT((entry & checked) == (flags & checked),
              "the 2 MiB entry for %#lx (%#lx) has permission flags %#lx, expected %#lx", va, entry,
              entry & checked, flags & checked);
}

KTEST(huge_map_translate_and_access)
{
    phys_addr_t root = new_space();
    phys_addr_t frames = huge_frames();
    uint64_t before = mm_count_frames(PAGE_ALLOCATED);
    const uintptr_t va = TEST_VA + HUGE_PAGE_SIZE;
    EXPECT_RESULT(pt_map_huge(root, va, frames, PTE_WRITABLE | PTE_NO_EXECUTE), 0,
                  "mapping a 2 MiB page in an empty address space");
    KT_ASSERT_EQ(mm_count_frames(PAGE_ALLOCATED) - before, 2,
                 "page tables allocated to map one 2 MiB page in an empty region (a level-3 and "
                 "a level-2 table; no level-1 table)");
    expect_huge_entry(root, va, frames, PTE_WRITABLE | PTE_NO_EXECUTE);
    const uintptr_t offsets[] = {0, 0x1234, 0x100000, HUGE_PAGE_SIZE - 1};
    for (unsigned i = 0; i < KEEL_ARRAY_SIZE(offsets); i++) {
        phys_addr_t pa = 0;
        KT_ASSERT(pt_translate(root, va + offsets[i], &pa),
                  "pt_translate(%#lx): not mapped, but a 2 MiB page maps [%#lx, %#lx)",
                  va + offsets[i], va, va + HUGE_PAGE_SIZE);
        KT_ASSERT(pa == frames + offsets[i],
                  "pt_translate(%#lx) gave %#lx, expected %#lx: inside a 2 MiB page the offset "
                  "is the low 21 bits of the address",
                  va + offsets[i], pa, frames + offsets[i]);
    }
    phys_addr_t pa = 0;
    KT_ASSERT(!pt_translate(root, va + HUGE_PAGE_SIZE, &pa) && !pt_translate(root, va - 1, &pa),
              "an address just outside the 2 MiB page translates");
    /* Through the mapping, both ways, at its first and last word. */
    uint64_t *first = phys_to_virt(frames), *last = phys_to_virt(frames + HUGE_PAGE_SIZE - 8);
    *first = 0x1111;
    *last = 0x2222;
    paging_switch(root);
    uint64_t read_first = *(volatile uint64_t *)va;
    uint64_t read_last = *(volatile uint64_t *)(va + HUGE_PAGE_SIZE - 8);
    *(volatile uint64_t *)(va + 0x80000) = 0x3333;
    paging_switch(paging_kernel_root());
    KT_ASSERT_EQ(read_first, 0x1111, "the first word read through the 2 MiB mapping");
    KT_ASSERT_EQ(read_last, 0x2222, "the last word read through the 2 MiB mapping");
    KT_ASSERT_EQ(*(uint64_t *)phys_to_virt(frames + 0x80000), 0x3333,
                 "a word written through the 2 MiB mapping, read through the direct map");
    EXPECT_RESULT(pt_unmap_huge(root, va), 0, "unmapping the 2 MiB page");
    KT_ASSERT(!paging_lookup(root, va, NULL), "after pt_unmap_huge the tables still map %#lx", va);
    KT_ASSERT(mm_count_frames(PAGE_ALLOCATED) == before,
              "after unmapping the only 2 MiB page, %lu of its 2 page tables are still "
              "allocated: pt_unmap_huge must free the tables it leaves empty",
              mm_count_frames(PAGE_ALLOCATED) - before);
    free_tables(root, 4);
    frame_free(frames, 9);
}

KTEST(huge_map_refuses_overlaps)
{
    phys_addr_t root = new_space();
    phys_addr_t frames = huge_frames(), small = frame_alloc_zeroed(0);
    uint64_t before = mm_count_frames(PAGE_ALLOCATED);
    EXPECT_RESULT(pt_map_huge(root, TEST_VA + PAGE_SIZE, frames, PTE_WRITABLE), -EINVAL,
                  "the virtual address is not 2 MiB aligned");
    EXPECT_RESULT(pt_map_huge(root, TEST_VA, frames + PAGE_SIZE, PTE_WRITABLE), -EINVAL,
                  "the physical address is not 2 MiB aligned");
    KT_ASSERT(mm_count_frames(PAGE_ALLOCATED) == before,
              "a refused pt_map_huge allocated %lu page tables: check the alignment first",
              mm_count_frames(PAGE_ALLOCATED) - before);
    /* A 4 KiB page in the range. */
    KT_ASSERT(vm_map(root, TEST_VA + 0x3000, small, PTE_WRITABLE) == 0, "vm_map failed");
    EXPECT_RESULT(pt_map_huge(root, TEST_VA, frames, PTE_WRITABLE), -EEXIST,
                  "a 4 KiB page is mapped inside [va, va + 2 MiB)");
    phys_addr_t pa = 0;
    KT_ASSERT(pt_translate(root, TEST_VA + 0x3000, &pa) && pa == small,
              "after the refused pt_map_huge, the 4 KiB page at %#lx no longer maps its frame",
              TEST_VA + 0x3000);
    EXPECT_RESULT(pt_unmap_huge(root, TEST_VA), -ENOENT,
                  "4 KiB pages map that range, not a 2 MiB page");
    EXPECT_RESULT(pt_protect_huge(root, TEST_VA, 0), -ENOENT,
                  "4 KiB pages map that range, not a 2 MiB page");
    /* A 2 MiB page, then everything that overlaps it. */
    const uintptr_t va = TEST_VA + HUGE_PAGE_SIZE;
    EXPECT_RESULT(pt_map_huge(root, va, frames, PTE_WRITABLE), 0, "mapping a free 2 MiB range");
    EXPECT_RESULT(pt_map_huge(root, va, frames, PTE_WRITABLE), -EEXIST,
                  "the 2 MiB page is mapped already");
    EXPECT_RESULT(pt_map(root, va + 0x5000, small, PTE_WRITABLE), -EEXIST,
                  "a 4 KiB page inside a 2 MiB page is mapped already");
    KT_ASSERT(pt_walk(root, va + 0x5000, false) == NULL,
              "pt_walk(%#lx, create=false) returned an entry, but a 2 MiB page maps that "
              "address: there is no level-1 entry",
              va + 0x5000);
    KT_ASSERT(pt_walk(root, va + 0x5000, true) == NULL,
              "pt_walk(%#lx, create=true) returned an entry inside a 2 MiB page", va + 0x5000);
    expect_huge_entry(root, va, frames, PTE_WRITABLE);
    EXPECT_RESULT(pt_unmap_huge(root, va + PAGE_SIZE), -EINVAL, "the address is not 2 MiB aligned");
    EXPECT_RESULT(pt_protect_huge(root, va + PAGE_SIZE, 0), -EINVAL,
                  "the address is not 2 MiB aligned");
    EXPECT_RESULT(pt_unmap_huge(root, va + HUGE_PAGE_SIZE), -ENOENT, "nothing maps that range");
    EXPECT_RESULT(pt_protect_huge(root, va + (1ul << 39), 0), -ENOENT, "nothing maps that range");
    free_tables(root, 4);
    frame_free(frames, 9);
    frame_free(small, 0);
}

KTEST(huge_protect_and_unmap_flush_the_tlb)
{
    phys_addr_t root = new_space();
    phys_addr_t frames = huge_frames();
    const uintptr_t va = TEST_VA + 3 * HUGE_PAGE_SIZE;
    volatile uint8_t *inside = (volatile uint8_t *)(va + 0x10000);
    EXPECT_RESULT(pt_map_huge(root, va, frames, PTE_WRITABLE), 0, "mapping a 2 MiB page");
    paging_switch(root);
    bool first = safe_write8(inside, 1); /* the TLB now caches a writable translation */
    int protected = pt_protect_huge(root, va, 0);
    bool second = safe_write8(inside, 2);
    uint8_t value = 0;
    bool readable = safe_read8(inside, &value);
    paging_switch(paging_kernel_root());
    KT_ASSERT(first, "writing to a writable 2 MiB page faulted");
    EXPECT_RESULT(protected, 0, "making the 2 MiB page read-only");
    expect_huge_entry(root, va, frames, 0);
    KT_ASSERT(!second,
              "after pt_protect_huge made the 2 MiB page read-only, a write at %#lx "
              "still succeeded: the TLB kept the old entry. Flush it with "
              "tlb_flush_page(va) when root is active",
              (uintptr_t)inside);
    KT_ASSERT(readable && value == 1, "the read-only 2 MiB page cannot be read, or lost its byte");
    paging_switch(root);
    bool before_unmap = safe_read8(inside, &value);
    int unmapped = pt_unmap_huge(root, va);
    bool after_unmap = safe_read8(inside, &value);
    paging_switch(paging_kernel_root());
    KT_ASSERT(before_unmap, "reading the 2 MiB page faulted");
    EXPECT_RESULT(unmapped, 0, "unmapping the 2 MiB page");
    KT_ASSERT(!after_unmap,
              "after pt_unmap_huge a read at %#lx still succeeded: the TLB kept the "
              "old entry. Flush it with tlb_flush_page(va) when root is active",
              (uintptr_t)inside);
    EXPECT_RESULT(pt_unmap_huge(root, va), -ENOENT, "the 2 MiB page is unmapped already");
    free_tables(root, 4);
    frame_free(frames, 9);
}

KTEST(huge_split_on_4k_unmap_and_protect)
{
    phys_addr_t root = new_space();
    phys_addr_t frames = huge_frames();
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        *(uint64_t *)phys_to_virt(frames + i * PAGE_SIZE) = 1000 + i;
    const uintptr_t va = TEST_VA;
    const uint64_t flags = PTE_WRITABLE | PTE_NO_EXECUTE;
    EXPECT_RESULT(pt_map_huge(root, va, frames, flags), 0, "mapping a 2 MiB page");
    uint64_t tables = mm_count_frames(PAGE_ALLOCATED);
    paging_switch(root);
    bool cached = safe_read8((void *)(va + 5 * PAGE_SIZE), &(uint8_t){0});
    int unmapped = pt_unmap(root, va + 5 * PAGE_SIZE);
    bool gone = !safe_read8((void *)(va + 5 * PAGE_SIZE), &(uint8_t){0});
    uint64_t neighbour = *(volatile uint64_t *)(va + 6 * PAGE_SIZE);
    paging_switch(paging_kernel_root());
    KT_ASSERT(cached, "reading the 2 MiB page faulted");
    EXPECT_RESULT(unmapped, 0, "unmapping one 4 KiB page inside a 2 MiB page (split it first)");
    KT_ASSERT_EQ(mm_count_frames(PAGE_ALLOCATED) - tables, 1,
                 "page tables allocated by splitting a 2 MiB page (one level-1 table)");
    KT_ASSERT(!paging_lookup(root, va + 5 * PAGE_SIZE, NULL),
              "after pt_unmap(%#lx) the tables still map it", va + 5 * PAGE_SIZE);
    KT_ASSERT(gone, "after pt_unmap(%#lx) a read there still succeeded: flush the TLB entry",
              va + 5 * PAGE_SIZE);
    KT_ASSERT_EQ(neighbour, 1006, "the word at the next page, read after the split");
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        if (i == 5)
            continue;
        int level = 0;
        pte_t entry = paging_lookup(root, va + i * PAGE_SIZE, &level);
        KT_ASSERT(entry && level == 1 && pte_address(entry) == frames + i * PAGE_SIZE &&
                      (entry & (PTE_WRITABLE | PTE_USER | PTE_NO_EXECUTE)) == flags,
                  "after splitting, page %u of the 2 MiB page (%#lx) should be a level-1 entry "
                  "for %#lx with the 2 MiB page's flags %#lx; the tables say entry %#lx (level "
                  "%d)",
                  i, va + i * PAGE_SIZE, frames + i * PAGE_SIZE, flags, entry, level);
        KT_ASSERT(!(entry & PTE_HUGE),
                  "after splitting, the level-1 entry for %#lx (%#lx) has bit 7 set: PTE_HUGE "
                  "means \"2 MiB page\" only at levels 2 and 3; in a level-1 entry bit 7 "
                  "selects a memory type (PAT). Clear it when copying the 2 MiB entry's flags",
                  va + i * PAGE_SIZE, entry);
    }
    /* pt_protect of one 4 KiB page inside another 2 MiB page. */
    const uintptr_t other = va + HUGE_PAGE_SIZE;
    EXPECT_RESULT(pt_map_huge(root, other, frames, PTE_WRITABLE), 0, "mapping a second 2 MiB page");
    paging_switch(root);
    bool writable = safe_write8((void *)(other + 3 * PAGE_SIZE), 7);
    int protected = pt_protect(root, other + 3 * PAGE_SIZE, 0);
    bool refused = !safe_write8((void *)(other + 3 * PAGE_SIZE), 8);
    bool next_writable = safe_write8((void *)(other + 4 * PAGE_SIZE), 9);
    paging_switch(paging_kernel_root());
    KT_ASSERT(writable, "writing to a writable 2 MiB page faulted");
    EXPECT_RESULT(protected, 0, "changing one 4 KiB page inside a 2 MiB page (split it first)");
    KT_ASSERT(refused, "after pt_protect made page %#lx read-only, a write there succeeded",
              other + 3 * PAGE_SIZE);
    KT_ASSERT(next_writable,
              "after pt_protect of page %#lx, the page after it is no longer "
              "writable: the split must keep the 2 MiB page's flags",
              other + 3 * PAGE_SIZE);
    int level = 0;
    pte_t entry = paging_lookup(root, other + 3 * PAGE_SIZE, &level);
    KT_ASSERT(level == 1 && pte_address(entry) == frames + 3 * PAGE_SIZE && !(entry & PTE_WRITABLE),
              "after pt_protect, %#lx should be a read-only level-1 entry for %#lx; the tables "
              "say %#lx (level %d)",
              other + 3 * PAGE_SIZE, frames + 3 * PAGE_SIZE, entry, level);
    free_tables(root, 4);
    frame_free(frames, 9);
}

/* Ring 3 through a 2 MiB page: the user program (code and data in the same
 * 2 MiB page) writes 42, then makes a system call. On the Linux platform
 * the user program runs in a child process that maps what the tables say. */
KTEST(huge_pages_reach_ring_3)
{
    phys_addr_t root = new_space();
    phys_addr_t frames = huge_frames();
    const uintptr_t va = TEST_VA + 5 * HUGE_PAGE_SIZE, data = 0x100000;
    memcpy(phys_to_virt(frames), user_write_program,
           (size_t)(user_write_program_end - user_write_program));
    *(uint64_t *)phys_to_virt(frames + data) = 0;
    EXPECT_RESULT(pt_map_huge(root, va, frames, PTE_USER | PTE_WRITABLE), 0,
                  "mapping a 2 MiB user page");
    struct ring3_end end = run_in_ring_3(root, va, va + HUGE_PAGE_SIZE, va + data);
    KT_ASSERT(end.vector != TRAP_PAGE_FAULT,
              "ring 3 could not reach %#lx in the 2 MiB user page at %#lx (page fault): the "
              "2 MiB entry and every entry above it need PTE_USER (and PTE_WRITABLE to write)",
              end.address, va);
    KT_ASSERT(end.vector == USER_SYSCALL_VECTOR,
              "the user program ended with vector %lu at %#lx instead of its system call",
              end.vector, end.address);
    KT_ASSERT_EQ(*(uint64_t *)phys_to_virt(frames + data), 42,
                 "what ring 3 wrote through the 2 MiB page");
    free_tables(root, 4);
    frame_free(frames, 9);
}

/* ---- pt_print ---------------------------------------------------------------------- */

static char printed[4096];
static char expected[2048];
static size_t expected_length;

static void expect_line(const char *fmt, ...) KEEL_PRINTF(1, 2);
static void expect_line(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    expected_length += (size_t)kvsnprintf(expected + expected_length,
                                          sizeof(expected) - expected_length, fmt, args);
    va_end(args);
    expected_length +=
        (size_t)ksnprintf(expected + expected_length, sizeof(expected) - expected_length, "\n");
}

/* The entry at `index` of the table at `table`, which must be present. */
static phys_addr_t table_at(phys_addr_t table, unsigned index)
{
    return pte_address(pt_table(table)[index]);
}

/* Line `n` (from 1) of `text` into `line`, or "(none)". */
static const char *line_of(const char *text, unsigned n, char *line, size_t size)
{
    for (unsigned i = 1; i < n && text; i++) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    if (!text || !*text)
        return "(no such line)";
    size_t length = 0;
    while (text[length] && text[length] != '\n' && length + 1 < size)
        length++;
    memcpy(line, text, length);
    line[length] = 0;
    return line;
}

KTEST(pt_print_shows_every_entry)
{
    phys_addr_t root = new_space();
    phys_addr_t frames = huge_frames(), a = frame_alloc_zeroed(0), b = frame_alloc_zeroed(0);
    const uintptr_t small_va = TEST_VA + 0x3000, huge_va = TEST_VA + HUGE_PAGE_SIZE;
    const uintptr_t far_va = TEST_VA + (1ul << 39) + (5ul << 30) + (7ul << 21) + (9ul << 12);
    KT_ASSERT(vm_map(root, small_va, a, PTE_WRITABLE | PTE_NO_EXECUTE) == 0, "vm_map failed");
    EXPECT_RESULT(pt_map_huge(root, huge_va, frames, PTE_WRITABLE | PTE_USER), 0,
                  "mapping a 2 MiB page");
    KT_ASSERT(vm_map(root, far_va, b, PTE_USER) == 0, "vm_map failed");
    /* What pt_print must print, from the tables themselves (README.md). */
    expected_length = 0;
    phys_addr_t l3 = table_at(root, 64), l2 = table_at(l3, 0), l1 = table_at(l2, 0);
    phys_addr_t far3 = table_at(root, 65), far2 = table_at(far3, 5), far1 = table_at(far2, 7);
    expect_line("page table 0x%lx", root);
    expect_line("  L4[64] 0x200000000000: table 0x%lx", l3);
    expect_line("    L3[0] 0x200000000000: table 0x%lx", l2);
    expect_line("      L2[0] 0x200000000000: table 0x%lx", l1);
    expect_line("        L1[3] 0x200000003000: 4K page 0x%lx rw--", a);
    expect_line("      L2[1] 0x200000200000: 2M page 0x%lx rwxu", frames);
    expect_line("  L4[65] 0x208000000000: table 0x%lx", far3);
    expect_line("    L3[5] 0x208140000000: table 0x%lx", far2);
    expect_line("      L2[7] 0x208140e00000: table 0x%lx", far1);
    expect_line("        L1[9] 0x208140e09000: 4K page 0x%lx r-xu", b);
    KT_ASSERT(console_capture_begin(printed, sizeof(printed)), "console capture is busy");
    pt_print(root);
    size_t length = console_capture_end();
    KT_ASSERT(length < sizeof(printed),
              "pt_print printed %lu bytes, far more than the %lu "
              "expected: does it print the kernel half (PML4 entries 256-511)?",
              length, expected_length);
    for (unsigned n = 1;; n++) {
        char got_line[160], want_line[160];
        const char *got = line_of(printed, n, got_line, sizeof(got_line));
        const char *want = line_of(expected, n, want_line, sizeof(want_line));
        KT_ASSERT(strcmp(got, want) == 0,
                  "line %u of pt_print's output differs:\n  printed:  %s\n  expected: %s\n(the "
                  "format is in lab2-mm/README.md, \"Challenge part\")",
                  n, got, want);
        if (got != got_line && want != want_line)
            break; /* both ended */
    }
    free_tables(root, 4);
    frame_free(frames, 9);
    frame_free(a, 0);
    frame_free(b, 0);
}

/* ---- a seeded mix of 2 MiB and 4 KiB operations --------------------------------------- */

/* What `address` translates to, by the framework's own walk (which reads
 * PTE_HUGE) and by pt_translate: relative to the test's 4 MiB pool. */
static void answer_translation(phys_addr_t root, phys_addr_t pool, unsigned step, uintptr_t address)
{
    phys_addr_t pa = 0;
    int level = 0;
    pte_t entry = paging_lookup(root, address, &level);
    bool mapped = pt_translate(root, address, &pa);
    KT_ASSERT(mapped == (entry != 0),
              "step %u: pt_translate(%#lx) says %s, but the page tables %s it (entry %#lx, "
              "level %d)",
              step, address, mapped ? "mapped" : "not mapped", entry ? "map" : "do not map", entry,
              level);
    if (!mapped) {
        ktest_answer("step %u: translate 0x%lx: not mapped; %lu page tables", step, address,
                     page_tables());
        return;
    }
    if (pa < pool || pa >= pool + 2 * HUGE_PAGE_SIZE) {
        ktest_answer("step %u: translate 0x%lx: 0x%lx, outside the test's frames", step, address,
                     pa);
        return;
    }
    ktest_answer("step %u: translate 0x%lx: pool + 0x%lx, %s page, %s", step, address, pa - pool,
                 level == 2 ? "2M" : "4K", flags_name(entry));
}

/* Host-checked (grading/test_lab2_mm.py): four 2 MiB regions drawn from the
 * run's seed (some sharing tables), then 40 random operations on them and on
 * the first four 4 KiB pages of each: pt_map_huge, vm_map, vm_unmap (which
 * splits a 2 MiB page), pt_unmap_huge, vm_protect (which splits too),
 * pt_protect_huge and translations, onto a 4 MiB pool of frames (2 MiB
 * pages use its halves, 4 KiB pages its first eight frames). The grader
 * models the tables: every result, every translation, and how many page
 * tables exist after each change. */
KTEST(huge_seeded_operations)
{
    static const uint64_t permissions[] = {0, PTE_WRITABLE, PTE_WRITABLE | PTE_NO_EXECUTE,
                                           PTE_WRITABLE | PTE_USER, PTE_USER | PTE_NO_EXECUTE};
    const unsigned kinds = KEEL_ARRAY_SIZE(permissions);
    phys_addr_t root = new_space();
    phys_addr_t pool = frame_alloc(10);
    KT_ASSERT(pool, "no memory for the test's 4 MiB of frames");
    page_tables_count_from_here();
    uint64_t state = ktest_seed();
    uintptr_t regions[4];
    for (unsigned i = 0; i < 4; i++)
        regions[i] =
            TEST_VA + (ktest_random_below(&state, 2) << 30) + (ktest_random_below(&state, 2) << 21);
    for (unsigned step = 1; step <= 40; step++) {
        uint64_t what = ktest_random_below(&state, 12);
        uintptr_t region = regions[ktest_random_below(&state, 4)];
        if (what < 3) {
            unsigned half = (unsigned)ktest_random_below(&state, 2);
            uint64_t flags = permissions[ktest_random_below(&state, kinds)];
            int result = pt_map_huge(root, region, pool + half * HUGE_PAGE_SIZE, flags);
            ktest_answer("step %u: map 2M 0x%lx to half %u %s: %s; %lu page tables", step, region,
                         half, flags_name(flags), result_name(result), page_tables());
        } else if (what < 5) {
            uintptr_t va = region + ktest_random_below(&state, 4) * PAGE_SIZE;
            unsigned frame = (unsigned)ktest_random_below(&state, 8);
            uint64_t flags = permissions[ktest_random_below(&state, kinds)];
            int result = vm_map(root, va, pool + frame * PAGE_SIZE, flags);
            ktest_answer("step %u: map 0x%lx to frame %u %s: %s; %lu page tables", step, va, frame,
                         flags_name(flags), result_name(result), page_tables());
        } else if (what < 7) {
            uintptr_t va = region + ktest_random_below(&state, 4) * PAGE_SIZE;
            int result = vm_unmap(root, va);
            ktest_answer("step %u: unmap 0x%lx: %s; %lu page tables", step, va, result_name(result),
                         page_tables());
        } else if (what < 8) {
            int result = pt_unmap_huge(root, region);
            ktest_answer("step %u: unmap 2M 0x%lx: %s; %lu page tables", step, region,
                         result_name(result), page_tables());
        } else if (what < 9) {
            uintptr_t va = region + ktest_random_below(&state, 4) * PAGE_SIZE;
            uint64_t flags = permissions[ktest_random_below(&state, kinds)];
            int result = vm_protect(root, va, flags);
            ktest_answer("step %u: protect 0x%lx %s: %s; %lu page tables", step, va,
                         flags_name(flags), result_name(result), page_tables());
        } else if (what < 10) {
            uint64_t flags = permissions[ktest_random_below(&state, kinds)];
            int result = pt_protect_huge(root, region, flags);
            ktest_answer("step %u: protect 2M 0x%lx %s: %s", step, region, flags_name(flags),
                         result_name(result));
        } else {
            uintptr_t va = region + ktest_random_below(&state, 4) * PAGE_SIZE;
            answer_translation(root, pool, step, va + ktest_random_below(&state, PAGE_SIZE));
        }
    }
    /* The final state (as steps 41-44), then the test gives everything back. */
    for (unsigned i = 0; i < 4; i++)
        answer_translation(root, pool, 41 + i, regions[i] + i * PAGE_SIZE + 8 * i);
    free_tables(root, 4);
    frame_free(pool, 10);
}
