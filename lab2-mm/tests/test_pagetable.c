/* Lab 2 tests, part 2: page tables, used through the framework's checked
 * vm_* calls. They run on the reference frame allocator of the framework, so
 * a broken buddy allocator does not break them. */
#include <keel/safe.h>
#include <ktest.h>

#include "../lab2.h"

/* PML4 slot 64: fresh tables, and a free address in a Linux process too (the
 * Linux platform maps what lab page tables say there; see docs/linux.md). */
#define TEST_VA 0x0000200000000000ul

static phys_addr_t new_space(void)
{
    frame_allocator_install(NULL); /* the framework's allocator, whatever state yours is in */
    page_table_ops_install(&lab2_page_tables);
    phys_addr_t root = paging_new_root();
    KT_ASSERT(root, "no memory for a page table");
    return root;
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
              "after unmapping the only page, %lu frames are still allocated: free the page "
              "tables that became empty",
              mm_count_frames(PAGE_ALLOCATED) - allocated);
    KT_ASSERT(pt_unmap(root, TEST_VA) == -ENOENT, "unmapping an unmapped page must give -ENOENT");
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
              "%lu frames still allocated after unmapping everything (leaked page tables)",
              mm_count_frames(PAGE_ALLOCATED) - allocated);
}
