/* The kernel's own page table, built once the page array exists.
 *
 * The boot assembly maps the first 1 GiB three times with 2 MiB pages and no
 * protections. This replaces it with: the kernel image with 4 KiB pages and
 * per-section permissions (code read-only and executable, read-only data
 * read-only, data and bss not executable), nothing below the boot stack (a
 * guard page, so an overflow faults instead of corrupting .bss), the direct
 * map of all RAM (the image's code and read-only data read-only there too),
 * and no identity map at all, so a NULL dereference faults. */
#include <keel/cpu.h>
#include <keel/mm.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/thread.h>

#include "../../core/internal.h"
#include "layout.h"

#define HUGE_PAGE_SIZE (2ull << 20)

static void map_kernel_range(const char *start, const char *end, uint64_t flags)
{
    for (uintptr_t va = (uintptr_t)start; va < (uintptr_t)end; va += PAGE_SIZE)
        *arch_kernel_entry(va, 1) = (va - KERNEL_VMA) | flags | PTE_PRESENT | PTE_GLOBAL;
}

void arch_paging_init(phys_addr_t max_phys)
{
    uint32_t edx = 0;
    cpu_cpuid(0x80000001, 0, NULL, NULL, NULL, &edx);
    arch_no_execute = (edx & (1u << 20)) ? PTE_NO_EXECUTE : 0;

    arch_kernel_root = mm_early_alloc_frame();

    map_kernel_range(__text_start, __text_end, 0);
    map_kernel_range((char *)KEEL_ALIGN_UP((uintptr_t)__text_end, PAGE_SIZE), __rodata_end,
                     arch_no_execute);
    map_kernel_range((char *)KEEL_ALIGN_UP((uintptr_t)__rodata_end, PAGE_SIZE), boot_stack_guard,
                     PTE_WRITABLE | arch_no_execute);
    /* boot_stack_guard stays unmapped. */
    map_kernel_range(boot_stack_bottom, __kernel_end, PTE_WRITABLE | arch_no_execute);

    /* The direct map keeps the image's code and read-only data read-only
     * too: through the alias they would otherwise be writable, and one store
     * could patch the framework or what the test runner reports. The 2 MiB
     * pages that hold them are split into 4 KiB pages. */
    phys_addr_t read_only_start = KEEL_ALIGN_DOWN((uintptr_t)__text_start - KERNEL_VMA, PAGE_SIZE);
    phys_addr_t read_only_end = KEEL_ALIGN_UP((uintptr_t)__rodata_end - KERNEL_VMA, PAGE_SIZE);
    phys_addr_t direct_end = KEEL_ALIGN_UP(max_phys, HUGE_PAGE_SIZE);
    for (phys_addr_t pa = 0; pa < direct_end; pa += HUGE_PAGE_SIZE) {
        uint64_t flags = PTE_PRESENT | PTE_WRITABLE | PTE_GLOBAL | arch_no_execute;
        if (pa + HUGE_PAGE_SIZE <= read_only_start || pa >= read_only_end) {
            *arch_kernel_entry(KEEL_DIRECT_MAP_BASE + pa, 2) = pa | flags | PTE_HUGE;
            continue;
        }
        for (phys_addr_t page = pa; page < pa + HUGE_PAGE_SIZE; page += PAGE_SIZE) {
            bool read_only = page >= read_only_start && page < read_only_end;
            *arch_kernel_entry(KEEL_DIRECT_MAP_BASE + page, 1) =
                page | (read_only ? flags & ~PTE_WRITABLE : flags);
        }
    }

    cpu_write_cr3(arch_kernel_root);
}

extern uintptr_t double_fault_stack_bottom, double_fault_stack_top;

bool arch_stack_bounds(uintptr_t rsp, uintptr_t *bottom, uintptr_t *top)
{
    struct thread *thread = thread_current();
    if (thread && rsp >= thread->framework.stack_bottom && rsp <= thread->framework.stack_top) {
        *bottom = thread->framework.stack_bottom;
        *top = thread->framework.stack_top;
        return true;
    }
    if (rsp >= (uintptr_t)boot_stack_bottom && rsp <= (uintptr_t)boot_stack_top) {
        *bottom = (uintptr_t)boot_stack_bottom;
        *top = (uintptr_t)boot_stack_top;
        return true;
    }
    if (rsp >= double_fault_stack_bottom && rsp <= double_fault_stack_top) {
        *bottom = double_fault_stack_bottom;
        *top = double_fault_stack_top;
        return true;
    }
    return false;
}

/* Device memory lives in the last 1 GiB of the address space (PML4 and PDPT
 * slot 511), which every address space shares with the kernel. */
#define MMIO_WINDOW 0xffffffffc0000000ul
static uintptr_t mmio_next = MMIO_WINDOW;

void *arch_map_mmio(phys_addr_t pa, size_t size)
{
    phys_addr_t start = KEEL_ALIGN_DOWN(pa, PAGE_SIZE);
    size_t length = KEEL_ALIGN_UP(pa + size, PAGE_SIZE) - start;
    uintptr_t va = mmio_next;
    mmio_next += length;
    for (size_t offset = 0; offset < length; offset += PAGE_SIZE)
        *arch_kernel_entry(va + offset, 1) = (start + offset) | PTE_PRESENT | PTE_WRITABLE |
                                             PTE_CACHE_DISABLE | PTE_WRITE_THROUGH | PTE_GLOBAL |
                                             arch_no_execute;
    return (void *)(va + (pa - start));
}
