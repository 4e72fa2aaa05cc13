/* The kernel's own page table, built once the page array exists (mm_init).
 *
 * Why one builder for every platform: the tables must look the same to lab
 * code that copies or walks them, wherever the kernel runs. What differs is
 * the kernel image, which the platform maps (platform_map_kernel_image): a
 * PC maps it with per-section permissions and a guard page below the boot
 * stack; the Linux platform, whose code runs from the process's own copy,
 * maps it for show. Then comes the direct map of all RAM with 2 MiB pages;
 * the pages that alias the image's code and read-only data (if the platform
 * names them) are split into 4 KiB pages and kept read-only, so that one
 * store through the alias cannot patch the framework or what the test runner
 * reports. No identity map remains, so a NULL dereference faults. */
#include <keel/cpu.h>
#include <keel/mm.h>
#include <keel/paging.h>

#include "internal.h"

#define HUGE_PAGE_SIZE (2ul << 20)

phys_addr_t kernel_root_table;
uint64_t kernel_no_execute;

void kernel_page_table_init(phys_addr_t max_phys)
{
    kernel_no_execute = arch_probe_no_execute();
    kernel_root_table = mm_early_alloc_frame();

    phys_addr_t read_only_start = 0, read_only_end = 0;
    platform_map_kernel_image(&read_only_start, &read_only_end);

    phys_addr_t direct_end = KEEL_ALIGN_UP(max_phys, HUGE_PAGE_SIZE);
    for (phys_addr_t pa = 0; pa < direct_end; pa += HUGE_PAGE_SIZE) {
        uint64_t flags = PTE_PRESENT | PTE_WRITABLE | PTE_GLOBAL | kernel_no_execute;
        if (pa + HUGE_PAGE_SIZE <= read_only_start || pa >= read_only_end) {
            *arch_kernel_entry(KERNEL_TABLES_DIRECT_MAP + pa, 2) = pa | flags | PTE_HUGE;
            continue;
        }
        for (phys_addr_t page = pa; page < pa + HUGE_PAGE_SIZE; page += PAGE_SIZE) {
            bool read_only = page >= read_only_start && page < read_only_end;
            *arch_kernel_entry(KERNEL_TABLES_DIRECT_MAP + page, 1) =
                page | (read_only ? flags & ~PTE_WRITABLE : flags);
        }
    }

    cpu_write_cr3(kernel_root_table);
}
