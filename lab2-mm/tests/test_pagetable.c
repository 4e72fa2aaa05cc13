/* Lab 2 tests, part 2: page tables, used through the framework's checked
 * vm_* calls. They run on the reference frame allocator of the framework, so
 * a broken buddy allocator does not break them. */
#include <keel/safe.h>
#include <keel/user.h>
#include <ktest.h>

#include "support.h"

/* The end of a test's address space: its tables go back (the leak check
 * after every test wants everything back), whatever your pt_unmap left:
 * freeing empty tables is pt_unmap_frees_empty_tables' subject, not every
 * test's. The pages it mapped are the test's to free. */
static void release_space(phys_addr_t root)
{
    free_tables(root, 4);
}

KTEST(pt_map_then_translate)
{
    phys_addr_t root = new_space();
    phys_addr_t frame = frame_alloc_zeroed(0);
    int result = vm_map(root, TEST_VA, frame, PTE_WRITABLE | PTE_NO_EXECUTE);
    KT_ASSERT(result == 0, "vm_map returned %d", result);
    phys_addr_t pa = 0;
    KT_ASSERT(pt_translate(root, TEST_VA + 0x123, &pa), "pt_translate: the page is not mapped");
    KT_ASSERT_EQ(pa, frame + 0x123, "pt_translate keeps the offset within the page");
    pte_t *entry = pt_walk(root, TEST_VA, false);
    KT_ASSERT(entry && pte_address(*entry) == frame, "pt_walk does not find the entry");
    KT_ASSERT(!pt_translate(root, TEST_VA + PAGE_SIZE, &pa), "the next page is not mapped");
    KT_ASSERT(pt_walk(root, TEST_VA + (1ul << 39), false) == NULL,
              "pt_walk(create=false) must not create tables");
    release_space(root);
    frame_free(frame, 0);
}

KTEST(pt_map_refuses_a_mapped_page)
{
    phys_addr_t root = new_space();
    phys_addr_t a = frame_alloc_zeroed(0), b = frame_alloc_zeroed(0);
    KT_ASSERT(vm_map(root, TEST_VA, a, PTE_WRITABLE) == 0, "first vm_map failed");
    int result = pt_map(root, TEST_VA, b, PTE_WRITABLE);
    KT_ASSERT(result == -EEXIST, "mapping a mapped page returned %d, expected -EEXIST (%d)", result,
              -EEXIST);
    phys_addr_t pa = 0;
    KT_ASSERT(pt_translate(root, TEST_VA, &pa) && pa == a, "the old mapping was replaced");
    release_space(root);
    frame_free(a, 0);
    frame_free(b, 0);
}

KTEST(pt_unmap_frees_empty_tables)
{
    phys_addr_t root = new_space();
    uint64_t allocated = mm_count_frames(PAGE_ALLOCATED);
    phys_addr_t frame = frame_alloc_zeroed(0);
    KT_ASSERT(vm_map(root, TEST_VA, frame, PTE_WRITABLE) == 0, "vm_map failed");
    uint64_t with_tables = mm_count_frames(PAGE_ALLOCATED);
    KT_ASSERT_EQ(with_tables - allocated, 4,
                 "frames allocated to map one page in an empty region (the frame + 3 tables)");
    KT_ASSERT(vm_unmap(root, TEST_VA) == 0, "vm_unmap failed");
    frame_free(frame, 0);
    KT_ASSERT(mm_count_frames(PAGE_ALLOCATED) == allocated,
              "after unmapping the only page, %lu of the 3 page-table pages allocated to map "
              "it are still allocated: pt_unmap must free the page tables that became empty",
              mm_count_frames(PAGE_ALLOCATED) - allocated);
    KT_ASSERT(pt_unmap(root, TEST_VA) == -ENOENT, "unmapping an unmapped page must give -ENOENT");
    release_space(root);
}

/* A mapping at entry 0 of a table keeps the table alive: map a page at
 * entry 0 of its page table, page directory and page-directory-pointer table
 * (TEST_VA is 512 GiB aligned) and a second page at entry 1 of the table of
 * each level in turn; unmapping the second must leave the first mapped. */
KTEST(pt_unmap_keeps_tables_still_in_use)
{
    static const char *const tables[] = {"page table (level 1)", "page directory (level 2)",
                                         "page-directory-pointer table (level 3)"};
    static const uintptr_t strides[] = {PAGE_SIZE, 1ul << 21, 1ul << 30};
    phys_addr_t root = new_space();
    phys_addr_t first = frame_alloc_zeroed(0), second = frame_alloc_zeroed(0);
    KT_ASSERT(first && second, "no memory");
    for (unsigned level = 0; level < 3; level++) {
        uintptr_t other = TEST_VA + strides[level];
        KT_ASSERT(vm_map(root, TEST_VA, first, PTE_WRITABLE) == 0, "vm_map(%#lx) failed", TEST_VA);
        KT_ASSERT(vm_map(root, other, second, PTE_WRITABLE) == 0, "vm_map(%#lx) failed", other);
        KT_ASSERT(vm_unmap(root, other) == 0, "vm_unmap(%#lx) failed", other);
        phys_addr_t pa = 0;
        KT_ASSERT(pt_translate(root, TEST_VA, &pa) && pa == first,
                  "after unmapping %#lx (entry 1 of its %s), %#lx (entry 0 of the same table) is "
                  "no longer mapped: pt_unmap freed a table that still held a mapping. Does your "
                  "check for an empty table look at every entry, index 0 included?",
                  other, tables[level], TEST_VA);
        KT_ASSERT(vm_unmap(root, TEST_VA) == 0, "vm_unmap(%#lx) failed", TEST_VA);
    }
    /* Whether pt_unmap frees the tables it empties is
     * pt_unmap_frees_empty_tables' subject: release_space takes what is left. */
    release_space(root);
    frame_free(first, 0);
    frame_free(second, 0);
}

/* Ring 3 on a lab 2 page table: a user program writes 42 to a user page,
 * then makes a system call. */
KTEST(pt_user_pages_reach_ring_3)
{
    phys_addr_t root = new_space();
    phys_addr_t code = frame_alloc_zeroed(0), data = frame_alloc_zeroed(0);
    KT_ASSERT(code && data, "no memory");
    memcpy(phys_to_virt(code), user_write_program,
           (size_t)(user_write_program_end - user_write_program));
    /* vm_map itself reads the entries above each page back. */
    KT_ASSERT(vm_map(root, TEST_VA, code, PTE_USER) == 0, "vm_map of the code page failed");
    uint64_t data_flags = PTE_USER | PTE_WRITABLE | PTE_NO_EXECUTE;
    KT_ASSERT(vm_map(root, TEST_VA + PAGE_SIZE, data, data_flags) == 0,
              "vm_map of the data page failed");
    struct ring3_end end =
        run_in_ring_3(root, TEST_VA, TEST_VA + 2 * PAGE_SIZE, TEST_VA + PAGE_SIZE);
    KT_ASSERT(end.vector != TRAP_PAGE_FAULT,
              "ring 3 could not reach user page %#lx (page fault, error code %#lx): it is mapped "
              "with PTE_USER, so a page-table entry above it must lack PTE_USER (every entry that "
              "points to a table needs PTE_PRESENT | PTE_WRITABLE | PTE_USER, see lab2.h)",
              end.address, end.error);
    KT_ASSERT(end.vector == USER_SYSCALL_VECTOR,
              "the user program ended with vector %lu at %#lx instead of its system call",
              end.vector, end.address);
    KT_ASSERT_EQ(*(uint64_t *)phys_to_virt(data), 42, "what ring 3 wrote to its page");
    release_space(root);
    frame_free(code, 0);
    frame_free(data, 0);
}

KTEST(pt_kernel_survives_the_switch)
{
    phys_addr_t root = new_space();
    phys_addr_t frame = frame_alloc_zeroed(0);
    KT_ASSERT(vm_map(root, TEST_VA, frame, PTE_WRITABLE) == 0, "vm_map failed");
    paging_switch(root);
    /* Still running: the kernel's code, stack and data are mapped here too. */
    *(volatile uint64_t *)TEST_VA = 0x1234;
    kprintf("[pt_kernel_survives_the_switch] running on the new page table\n");
    paging_switch(paging_kernel_root());
    KT_ASSERT_EQ(*(uint64_t *)phys_to_virt(frame), 0x1234, "the write through the new mapping");
    release_space(root);
    frame_free(frame, 0);
}

KTEST(pt_read_only_pages_refuse_writes)
{
    phys_addr_t root = new_space();
    phys_addr_t frame = frame_alloc_zeroed(0);
    KT_ASSERT(vm_map(root, TEST_VA, frame, 0) == 0, "vm_map (read-only) failed");
    paging_switch(root);
    uint8_t value = 0;
    bool read_ok = safe_read8((void *)TEST_VA, &value);
    bool write_ok = safe_write8((void *)TEST_VA, 1);
    paging_switch(paging_kernel_root());
    KT_ASSERT(read_ok, "reading a read-only page faulted");
    KT_ASSERT(!write_ok, "writing to a read-only page did not fault");
    release_space(root);
    frame_free(frame, 0);
}

KTEST(pt_protect_takes_effect_at_once)
{
    phys_addr_t root = new_space();
    phys_addr_t frame = frame_alloc_zeroed(0);
    KT_ASSERT(vm_map(root, TEST_VA, frame, PTE_WRITABLE) == 0, "vm_map failed");
    paging_switch(root);
    bool first = safe_write8((void *)TEST_VA, 1); /* the TLB now caches a writable entry */
    int result = vm_protect(root, TEST_VA, 0);
    bool second = safe_write8((void *)TEST_VA, 2);
    paging_switch(paging_kernel_root());
    KT_ASSERT(first, "writing to a writable page faulted");
    KT_ASSERT(result == 0, "vm_protect returned %d", result);
    KT_ASSERT(!second, "after making the page read-only, a write still succeeded: the TLB kept "
                       "the old entry. Flush it with tlb_flush_page when root is active");
    release_space(root);
    frame_free(frame, 0);
}

KTEST(pt_many_mappings)
{
    phys_addr_t root = new_space();
    uint64_t allocated = mm_count_frames(PAGE_ALLOCATED);
    phys_addr_t frames = frame_alloc(9); /* 512 frames, 2 MiB */
    KT_ASSERT(frames, "no memory");
    /* 1024 pages across a 1 GiB boundary: two PDPT entries, several tables. */
    const uintptr_t start = TEST_VA + (1ul << 30) - 512 * PAGE_SIZE;
    for (unsigned i = 0; i < 1024; i++)
        KT_ASSERT(
            vm_map(root, start + i * PAGE_SIZE, frames + (i % 512) * PAGE_SIZE, PTE_WRITABLE) == 0,
            "vm_map of page %u failed", i);
    for (unsigned i = 0; i < 1024; i++) {
        phys_addr_t pa = 0;
        KT_ASSERT(pt_translate(root, start + i * PAGE_SIZE, &pa) &&
                      pa == frames + (i % 512) * PAGE_SIZE,
                  "page %u translates to %#lx", i, pa);
    }
    for (unsigned i = 0; i < 1024; i++)
        KT_ASSERT(vm_unmap(root, start + i * PAGE_SIZE) == 0, "vm_unmap of page %u failed", i);
    frame_free(frames, 9);
    KT_ASSERT(mm_count_frames(PAGE_ALLOCATED) == allocated,
              "%lu page-table pages still allocated after unmapping everything: pt_unmap must "
              "free the page tables that became empty",
              mm_count_frames(PAGE_ALLOCATED) - allocated);
    release_space(root);
}

/* An error number as its name, so a wrong answer reads like the code. */
/* Report what `address` translates to: a frame of the test's pool (whose
 * own address is the allocator's choice) with the offset, and the
 * permissions of the entry pt_walk finds; or that it is not mapped, with the
 * number of page tables (a walk must not create any). */
static void answer_translation(phys_addr_t root, phys_addr_t pool, unsigned step, uintptr_t address)
{
    phys_addr_t pa = 0;
    if (!pt_translate(root, address, &pa)) {
        ktest_answer("step %u: translate 0x%lx: not mapped; %lu page tables", step, address,
                     page_tables());
        return;
    }
    pte_t *entry = pt_walk(root, address, false);
    KT_ASSERT(entry,
              "pt_translate found 0x%lx mapped, but pt_walk(create=false) found no entry for it",
              address);
    if (pa >= pool && pa < pool + 8 * PAGE_SIZE)
        ktest_answer("step %u: translate 0x%lx: frame %lu + 0x%lx, %s", step, address,
                     (pa - pool) / PAGE_SIZE, pa % PAGE_SIZE, flags_name(*entry));
    else
        ktest_answer("step %u: translate 0x%lx: 0x%lx, outside the test's frames", step, address,
                     pa);
}

/* Host-checked (grading/test_lab2_mm.py): eight virtual pages drawn from the
 * run's seed (sharing some of their tables, in two PML4 slots), then 48
 * random maps, unmaps, permission changes and translations of them onto a
 * pool of eight frames. The grader models the page table: every result
 * (0, -EEXIST, -ENOENT), every translation (as pool frame + offset, since the
 * pool's address is the allocator's choice), the permissions pt_walk finds,
 * and how many page tables exist after each step; then (as steps 49-56) what
 * every page translates to at the end. */
KTEST(pt_seeded_operations)
{
    static const uint64_t permissions[] = {0, PTE_WRITABLE, PTE_WRITABLE | PTE_NO_EXECUTE,
                                           PTE_WRITABLE | PTE_USER, PTE_USER | PTE_NO_EXECUTE};
    phys_addr_t root = new_space();
    phys_addr_t pool = frame_alloc(3);
    KT_ASSERT(pool, "no memory for the test's frames");
    page_tables_count_from_here();
    uint64_t state = ktest_seed();
    uintptr_t pages[8];
    for (unsigned i = 0; i < 8; i++)
        pages[i] = TEST_VA + (ktest_random_below(&state, 2) << 39) +
                   (ktest_random_below(&state, 3) << 30) + (ktest_random_below(&state, 3) << 21) +
                   (ktest_random_below(&state, 512) << 12);
    for (unsigned step = 1; step <= 48; step++) {
        uint64_t what = ktest_random_below(&state, 10);
        unsigned page = (unsigned)ktest_random_below(&state, 8);
        uintptr_t va = pages[page];
        if (what < 4) {
            unsigned frame = (unsigned)ktest_random_below(&state, 8);
            uint64_t flags = permissions[ktest_random_below(&state, KEEL_ARRAY_SIZE(permissions))];
            int result = vm_map(root, va, pool + frame * PAGE_SIZE, flags);
            ktest_answer("step %u: map 0x%lx to frame %u %s: %s; %lu page tables", step, va, frame,
                         flags_name(flags), result_name(result), page_tables());
        } else if (what < 6) {
            int result = vm_unmap(root, va);
            ktest_answer("step %u: unmap 0x%lx: %s; %lu page tables", step, va, result_name(result),
                         page_tables());
        } else if (what < 8) {
            uint64_t flags = permissions[ktest_random_below(&state, KEEL_ARRAY_SIZE(permissions))];
            int result = vm_protect(root, va, flags);
            ktest_answer("step %u: protect 0x%lx %s: %s", step, va, flags_name(flags),
                         result_name(result));
        } else {
            answer_translation(root, pool, step, va + ktest_random_below(&state, PAGE_SIZE));
        }
    }
    /* The final state of every page, then nothing may be left. */
    for (unsigned i = 0; i < 8; i++)
        answer_translation(root, pool, 49 + i, pages[i] + i * 8);
    for (unsigned i = 0; i < 8; i++)
        vm_unmap(root, pages[i]); /* -ENOENT for those not mapped: fine */
    ktest_answer("end: every page unmapped; %lu page tables", page_tables());
    frame_free(pool, 3);
    release_space(root);
}
