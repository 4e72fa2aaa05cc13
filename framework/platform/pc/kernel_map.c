/* The PC's part of the kernel's page table (core/kernel_page_table.c builds
 * the rest): the kernel image with 4 KiB pages and per-section permissions
 * (code read-only and executable, read-only data read-only, data and bss not
 * executable), nothing below the boot stack (a guard page, so an overflow
 * faults instead of corrupting .bss), and windows onto device memory.
 *
 * The boot assembly's tables mapped the first 1 GiB three times with 2 MiB
 * pages and no protections; these replace them. */
#include <keel/mm.h>
#include <keel/paging.h>

#include "../../core/internal.h"
#include "pc.h"

/* The kernel reaches physical memory through the same direct map its page
 * tables hold. */
const uintptr_t platform_direct_map_base = KERNEL_TABLES_DIRECT_MAP;

static void map_kernel_range(const char *start, const char *end, uint64_t flags)
{
    for (uintptr_t va = (uintptr_t)start; va < (uintptr_t)end; va += PAGE_SIZE)
        *arch_kernel_entry(va, 1) = (va - KERNEL_VMA) | flags | PTE_PRESENT | PTE_GLOBAL;
}

void platform_map_kernel_image(phys_addr_t *read_only_start, phys_addr_t *read_only_end)
{
    map_kernel_range(__text_start, __text_end, 0);
    map_kernel_range((char *)KEEL_ALIGN_UP((uintptr_t)__text_end, PAGE_SIZE), __rodata_end,
                     kernel_no_execute);
    map_kernel_range((char *)KEEL_ALIGN_UP((uintptr_t)__rodata_end, PAGE_SIZE), boot_stack_guard,
                     PTE_WRITABLE | kernel_no_execute);
    /* boot_stack_guard stays unmapped. */
    map_kernel_range(boot_stack_bottom, __kernel_end, PTE_WRITABLE | kernel_no_execute);

    /* Code and read-only data stay read-only through the direct map too. */
    *read_only_start = KEEL_ALIGN_DOWN((uintptr_t)__text_start - KERNEL_VMA, PAGE_SIZE);
    *read_only_end = KEEL_ALIGN_UP((uintptr_t)__rodata_end - KERNEL_VMA, PAGE_SIZE);
}

/* Device memory lives in the last 1 GiB of the address space (PML4 and PDPT
 * slot 511), which every address space shares with the kernel. */
#define MMIO_WINDOW 0xffffffffc0000000ul
static uintptr_t mmio_next = MMIO_WINDOW;

void *pc_map_mmio(phys_addr_t pa, size_t size)
{
    phys_addr_t start = KEEL_ALIGN_DOWN(pa, PAGE_SIZE);
    size_t length = KEEL_ALIGN_UP(pa + size, PAGE_SIZE) - start;
    uintptr_t va = mmio_next;
    mmio_next += length;
    for (size_t offset = 0; offset < length; offset += PAGE_SIZE)
        *arch_kernel_entry(va + offset, 1) = (start + offset) | PTE_PRESENT | PTE_WRITABLE |
                                             PTE_CACHE_DISABLE | PTE_WRITE_THROUGH | PTE_GLOBAL |
                                             kernel_no_execute;
    return (void *)(va + (pa - start));
}
