/* Physical memory (see <keel/mm.h>): the page array (a struct page per
 * frame, filled from the boot memory map), translation through the direct
 * map, and the framework's boot-time frame allocator. The kernel's page
 * table, built once this works, is kernel_page_table.c's. */
#include <keel/bootinfo.h>
#include <keel/frame.h>
#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/panic.h>
#include <keel/string.h>

#include "internal.h"

#define LOW_MEMORY_END 0x100000 /* firmware lives below 1 MiB: never handed out */

static struct page *pages;
/* The framework's own record of each frame besides struct page (see
 * internal.h), right after the page array: not in struct page, whose size
 * and fields are part of the lab API. */
static struct frame_record *records;
static uint64_t frame_count;
static uint64_t early_cursor; /* next frame number the early allocator looks at */

void *phys_to_virt(phys_addr_t pa)
{
    return (void *)(platform_direct_map_base + pa);
}

phys_addr_t virt_to_phys(const void *va)
{
    uintptr_t a = (uintptr_t)va;
    if (a >= (uintptr_t)__text_start && a < (uintptr_t)__kernel_end)
        return a - (uintptr_t)__kernel_virtual_offset;
    if (a >= platform_direct_map_base && a < platform_direct_map_base + (frame_count << PAGE_SHIFT))
        return a - platform_direct_map_base;
    panic("virt_to_phys(%p): not a kernel-image or direct-map address", va);
}

struct page *pfn_to_page(uint64_t pfn)
{
    return pfn < frame_count ? &pages[pfn] : NULL;
}

struct page *phys_to_page(phys_addr_t pa)
{
    return pfn_to_page(pa >> PAGE_SHIFT);
}

struct frame_record *frame_record_of(uint64_t pfn)
{
    return pfn < frame_count ? &records[pfn] : NULL;
}

uint64_t page_to_pfn(const struct page *page)
{
    kassert(page >= pages && page < pages + frame_count);
    return (uint64_t)(page - pages);
}

uint64_t mm_frame_count(void)
{
    return frame_count;
}

uint64_t mm_count_frames(enum page_state state)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < frame_count; i++)
        n += pages[i].state == state;
    return n;
}

static const char *const page_state_names[] = {
    [PAGE_NOT_RAM] = "not RAM",
    [PAGE_FREE] = "free",
    [PAGE_RESERVED_FIRMWARE] = "reserved by firmware",
    [PAGE_KERNEL_IMAGE] = "kernel image",
    [PAGE_FRAMEWORK] = "framework data",
    [PAGE_BOOT_DATA] = "boot data",
    [PAGE_ALLOCATED] = "allocated",
};
_Static_assert(KEEL_ARRAY_SIZE(page_state_names) == PAGE_ALLOCATED + 1, "a name for every state");

const char *page_state_name(enum page_state state)
{
    if ((unsigned)state >= KEEL_ARRAY_SIZE(page_state_names))
        return "unknown";
    return page_state_names[state];
}

phys_addr_t mm_kernel_start(void)
{
    return (phys_addr_t)(uintptr_t)__kernel_phys_start;
}

phys_addr_t mm_kernel_end(void)
{
    return (phys_addr_t)(uintptr_t)__kernel_phys_end;
}

static void mark_range(phys_addr_t start, phys_addr_t end, enum page_state state)
{
    for (uint64_t pfn = start >> PAGE_SHIFT; pfn < frame_count && (pfn << PAGE_SHIFT) < end; pfn++)
        pages[pfn].state = state;
}

phys_addr_t mm_early_alloc_frame(void)
{
    /* Once a frame allocator owns the free frames, take one from it: a
     * frame picked from the page array behind its back would later be
     * handed out twice. */
    if (frame_allocator_current() != frame_boot_allocator()) {
        phys_addr_t pa =
            frame_alloc_as(0, FRAME_KIND_FRAMEWORK, (uintptr_t)__builtin_return_address(0), true);
        if (!pa)
            panic("out of memory for framework data (page tables, stacks)");
        phys_to_page(pa)->state = PAGE_FRAMEWORK;
        return pa;
    }
    for (; early_cursor < frame_count; early_cursor++) {
        if (pages[early_cursor].state == PAGE_FREE) {
            pages[early_cursor].state = PAGE_FRAMEWORK;
            phys_addr_t pa = early_cursor++ << PAGE_SHIFT;
            /* A frame the boot allocator handed out and took back is
             * poisoned (frame_free): it is live again. */
            platform_memory_unpoison(phys_to_virt(pa), PAGE_SIZE);
            memset(phys_to_virt(pa), 0, PAGE_SIZE);
            return pa;
        }
    }
    panic("out of memory while setting up the kernel (early frame allocator)");
}

static bool overlaps_boot_data(const struct boot_info *info, phys_addr_t start, phys_addr_t end)
{
    if (start < mm_kernel_end() && end > mm_kernel_start())
        return true;
    for (size_t i = 0; i < info->module_count; i++)
        if (start < info->modules[i].end && end > info->modules[i].start)
            return true;
    return false;
}

/* Find room for the page array: a usable stretch above the kernel that no
 * boot data overlaps, and that the boot page tables map (below 1 GiB). */
static phys_addr_t place_page_array(const struct boot_info *info, size_t bytes)
{
    for (size_t i = 0; i < info->region_count; i++) {
        const struct memory_region *r = &info->regions[i];
        if (r->type != MEMORY_USABLE)
            continue;
        phys_addr_t start = KEEL_ALIGN_UP(r->base, PAGE_SIZE);
        if (start < LOW_MEMORY_END)
            start = LOW_MEMORY_END;
        phys_addr_t region_end = r->base + r->length;
        for (; start + bytes <= region_end && start + bytes <= (1ul << 30); start += PAGE_SIZE) {
            if (!overlaps_boot_data(info, start, start + bytes))
                return start;
        }
    }
    panic("no room for the page array (%zu bytes) in the first 1 GiB of memory", bytes);
}

void mm_init(const struct boot_info *info)
{
    phys_addr_t max_phys = 0;
    for (size_t i = 0; i < info->region_count; i++) {
        const struct memory_region *r = &info->regions[i];
        if ((r->type == MEMORY_USABLE || r->type == MEMORY_ACPI_RECLAIMABLE) &&
            r->base + r->length > max_phys)
            max_phys = r->base + r->length;
    }
    frame_count = KEEL_ALIGN_UP(max_phys, PAGE_SIZE) >> PAGE_SHIFT;
    size_t array_bytes =
        KEEL_ALIGN_UP(frame_count * (sizeof(struct page) + sizeof(struct frame_record)), PAGE_SIZE);
    phys_addr_t array_phys = place_page_array(info, array_bytes);
    pages = phys_to_virt(array_phys);
    memset(pages, 0, array_bytes);
    records = (struct frame_record *)(pages + frame_count);

    /* Usable frames first, then everything else on top: a frame that any
     * non-usable region touches is not handed out. */
    for (size_t i = 0; i < info->region_count; i++) {
        const struct memory_region *r = &info->regions[i];
        if (r->type != MEMORY_USABLE)
            continue;
        phys_addr_t start = KEEL_ALIGN_UP(r->base, PAGE_SIZE);
        phys_addr_t end = KEEL_ALIGN_DOWN(r->base + r->length, PAGE_SIZE);
        if (end > start)
            mark_range(start, end, PAGE_FREE);
    }
    for (size_t i = 0; i < info->region_count; i++) {
        const struct memory_region *r = &info->regions[i];
        if (r->type != MEMORY_USABLE)
            mark_range(KEEL_ALIGN_DOWN(r->base, PAGE_SIZE), r->base + r->length,
                       PAGE_RESERVED_FIRMWARE);
    }
    mark_range(0, LOW_MEMORY_END, PAGE_RESERVED_FIRMWARE);
    mark_range(mm_kernel_start(), mm_kernel_end(), PAGE_KERNEL_IMAGE);
    for (size_t i = 0; i < info->module_count; i++)
        mark_range(info->modules[i].start, info->modules[i].end, PAGE_BOOT_DATA);
    mark_range(array_phys, array_phys + array_bytes, PAGE_FRAMEWORK);

    early_cursor = mm_kernel_end() >> PAGE_SHIFT;
    kernel_page_table_init(max_phys);
}
