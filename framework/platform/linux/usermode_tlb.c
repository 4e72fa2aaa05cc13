/* User mode on the Linux platform: the child's pages as a software TLB (see
 * usermode.h). What a child maps is a cache of the page tables, tagged with
 * its address space: filled when user code faults on a page the tables
 * give it, and checked against the tables after a flush. */
#include <stdlib.h>

#include "usermode.h"

#include <keel/kprintf.h>
#include <keel/panic.h>

#include "linux.h"
#include "stub.h"

#define REGION_SIZE (2ul << 20) /* what one fault maps: a page table's worth */

static bool reserved_warned;

/* ---- the page cache of one space ------------------------------------------------ */

static size_t slot_of(const struct space *space, uintptr_t va)
{
    uint64_t hash = (va >> PAGE_SHIFT) * 0x9e3779b97f4a7c15ul;
    return (size_t)(hash >> 20) & (space->capacity - 1);
}

static struct cached_page *cache_find(struct space *space, uintptr_t va)
{
    if (!space->capacity)
        return NULL;
    for (size_t i = slot_of(space, va);; i = (i + 1) & (space->capacity - 1)) {
        if (space->pages[i].key == (va | 1))
            return &space->pages[i];
        if (space->pages[i].key == 0)
            return NULL;
    }
}

/* Store `entry` under `va` in a table with room for it (at most half full
 * afterwards, which cache_put sees to). */
static void cache_insert(struct space *space, uintptr_t va, pte_t entry)
{
    size_t i = slot_of(space, va);
    while (space->pages[i].key && space->pages[i].key != (va | 1))
        i = (i + 1) & (space->capacity - 1);
    if (!space->pages[i].key)
        space->page_count++;
    space->pages[i] = (struct cached_page){va | 1, entry};
}

static void cache_resize(struct space *space, size_t capacity)
{
    struct cached_page *old = space->pages;
    size_t old_capacity = space->capacity;
    space->pages = calloc(capacity, sizeof(*space->pages));
    if (!space->pages)
        panic("user mode on the Linux platform: out of host memory");
    space->capacity = capacity;
    space->page_count = 0;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].key)
            cache_insert(space, old[i].key & ~1ul, old[i].entry);
    free(old);
}

static void cache_put(struct space *space, uintptr_t va, pte_t entry)
{
    if ((space->page_count + 1) * 2 > space->capacity)
        cache_resize(space, space->capacity ? space->capacity * 2 : 256);
    cache_insert(space, va, entry);
}

void usermode_cache_clear(struct space *space)
{
    free(space->pages);
    space->pages = NULL;
    space->page_count = space->capacity = 0;
}

/* What the child should map at `va` by the tables: the frame and effective
 * flags, or 0 when user code may not touch it at all. */
static pte_t wanted_entry(const struct space *space, uintptr_t va)
{
    phys_addr_t pa;
    uint64_t flags;
    if (va >= LINUX_USER_TOP || (va >= LINUX_STUB_BASE && va < LINUX_STUB_BASE + LINUX_STUB_SIZE))
        return 0;
    if (!linux_translate(space->root, va, &pa, &flags) || !(flags & PTE_USER))
        return 0;
    return pa | flags | PTE_PRESENT;
}

/* ---- keeping the child's pages in step with the tables ----------------------------- */

void usermode_check_cache(struct space *space)
{
    space->check_cache = false;
    if (!space->page_count)
        return;
    struct cached_page *old = space->pages;
    size_t capacity = space->capacity;
    space->pages = NULL;
    space->page_count = space->capacity = 0;
    for (size_t i = 0; i < capacity; i++) {
        if (!old[i].key)
            continue;
        uintptr_t va = old[i].key & ~1ul;
        pte_t wanted = wanted_entry(space, va);
        if (wanted == old[i].entry) {
            cache_put(space, va, wanted);
        } else if (wanted) {
            usermode_op_map(space, va, wanted);
            cache_put(space, va, wanted);
        } else {
            usermode_op_unmap(space, va);
        }
    }
    free(old);
}

bool usermode_fill(struct space *space, uintptr_t va)
{
    uintptr_t page = KEEL_ALIGN_DOWN(va, PAGE_SIZE);
    pte_t wanted = wanted_entry(space, page);
    struct cached_page *cached = cache_find(space, page);
    if (!wanted || (cached && cached->entry == wanted)) {
        if (va >= LINUX_STUB_BASE && va < LINUX_STUB_BASE + LINUX_STUB_SIZE && !reserved_warned &&
            linux_translate(space->root, page, &(phys_addr_t){0}, &(uint64_t){0})) {
            reserved_warned = true;
            kprintf("Keel (Linux platform): user address %#lx is in [%#lx, %#lx), which this "
                    "platform keeps for itself; a program that uses it gets a page fault\n",
                    va, (uintptr_t)LINUX_STUB_BASE, (uintptr_t)(LINUX_STUB_BASE + LINUX_STUB_SIZE));
        }
        return false;
    }
    uintptr_t start = KEEL_ALIGN_DOWN(va, REGION_SIZE);
    for (uintptr_t p = start; p < start + REGION_SIZE; p += PAGE_SIZE) {
        pte_t entry = p == page ? wanted : wanted_entry(space, p);
        if (!entry)
            continue;
        struct cached_page *known = cache_find(space, p);
        if (known && known->entry == entry)
            continue;
        usermode_op_map(space, p, entry);
        cache_put(space, p, entry);
    }
    usermode_op_flush(space);
    return true;
}
