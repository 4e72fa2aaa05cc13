/* The framework's own small page mapper: x86_64 page-table entries created
 * on demand with frames from the early allocator. It builds the kernel's
 * page table (core/kernel_page_table.c) and serves the framework's tests;
 * labs bring their own page-table code (see <keel/paging.h>). */
#include <keel/cpu.h>
#include <keel/mm.h>
#include <keel/paging.h>

#include "../../core/internal.h"

uint64_t arch_probe_no_execute(void)
{
    uint32_t edx = 0;
    cpu_cpuid(0x80000001, 0, NULL, NULL, NULL, &edx);
    return (edx & (1u << 20)) ? PTE_NO_EXECUTE : 0;
}

static uint64_t *table_at(phys_addr_t pa)
{
    return (uint64_t *)phys_to_virt(pa);
}

/* The entry at `level` (4 = PML4 … 1 = page table) for `va` in `root`,
 * creating the intermediate tables down to `level` (user-accessible below
 * USER_SPACE_END, so the last level alone decides). */
static uint64_t *entry_in(phys_addr_t root, uintptr_t va, int level)
{
    uint64_t *table = table_at(root);
    uint64_t upper = PTE_PRESENT | PTE_WRITABLE | (va < USER_SPACE_END ? PTE_USER : 0);
    for (int current = 4; current > level; current--) {
        unsigned index = (va >> (12 + 9 * (current - 1))) & 511;
        if (!(table[index] & PTE_PRESENT))
            table[index] = mm_early_alloc_frame() | upper;
        table = table_at(table[index] & PTE_ADDRESS_MASK);
    }
    return &table[(va >> (12 + 9 * (level - 1))) & 511];
}

uint64_t *arch_kernel_entry(uintptr_t va, int level)
{
    return entry_in(kernel_root_table, va, level);
}

phys_addr_t arch_unmap_page(phys_addr_t root, uintptr_t va)
{
    int level;
    if (paging_lookup(root, va, &level) == 0 || level != 1)
        return 0;
    uint64_t *entry = entry_in(root, va, 1); /* exists: creates nothing */
    phys_addr_t pa = *entry & PTE_ADDRESS_MASK;
    *entry = 0;
    cpu_invlpg(va);
    return pa;
}

int arch_map_page(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags)
{
    uint64_t *entry = entry_in(root, va, 1);
    if (*entry & PTE_PRESENT)
        return -17; /* -EEXIST */
    *entry = pa | (flags & ~PTE_NO_EXECUTE) | PTE_PRESENT |
             (flags & PTE_NO_EXECUTE ? kernel_no_execute : 0);
    return 0;
}
