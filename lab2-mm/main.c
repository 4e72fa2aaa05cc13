/* Lab 2's kernel: install your allocator and page tables, and show them at
 * work. You do not need to change this file. */
#include <lab.h>

#include "lab2.h"

void lab_main(const struct boot_info *info)
{
    (void)info;
    kprintf("Installing the buddy allocator...\n");
    frame_allocator_install(&buddy_allocator);
    struct buddy_stats stats;
    buddy_get_stats(&stats);
    kprintf("%lu free frames (%lu MiB). Free blocks per order:\n", buddy_free_frames(),
            buddy_free_frames() >> 8);
    for (int order = 0; order <= FRAME_MAX_ORDER; order++)
        kprintf("  order %2d (%5lu KiB): %lu\n", order, (PAGE_SIZE << order) >> 10,
                stats.free_blocks[order]);

    kprintf("Building a page table and switching to it...\n");
    page_table_ops_install(&lab2_page_tables);
    phys_addr_t root = paging_new_root();
    phys_addr_t frame = frame_alloc_zeroed(0);
    const uintptr_t va = PAGING_SCRATCH_ADDRESS; /* free on every platform */
    if (!root || !frame || vm_map(root, va, frame, PTE_WRITABLE) != 0) {
        kprintf("Could not map a page (is pt_map written yet?).\n");
        return;
    }
    paging_switch(root);
    *(volatile uint64_t *)va = 0x4b45454c;
    kprintf("Wrote through %#lx; read back %#lx through the direct map. The kernel kept "
            "running on your page table.\n",
            va, *(uint64_t *)phys_to_virt(frame));
    paging_switch(paging_kernel_root());
}
