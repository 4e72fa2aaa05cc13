/* Lab 2, part 1: the buddy allocator. (Reference solution.) */
#include "lab2.h"

#define FREE_HEAD 0x1 /* page->flags: this frame starts a free block on a list */

static struct page *free_lists[FRAME_MAX_ORDER + 1];
static uint64_t free_frames;

static void push(struct page *block, unsigned order)
{
    block->order = (uint8_t)order;
    block->flags |= FREE_HEAD;
    block->prev = NULL;
    block->next = free_lists[order];
    if (block->next)
        block->next->prev = block;
    free_lists[order] = block;
    free_frames += 1ull << order;
}

static void unlink_block(struct page *block, unsigned order)
{
    if (block->prev)
        block->prev->next = block->next;
    else
        free_lists[order] = block->next;
    if (block->next)
        block->next->prev = block->prev;
    block->next = block->prev = NULL;
    block->flags &= (uint8_t)~FREE_HEAD;
    free_frames -= 1ull << order;
}

void buddy_init(void)
{
    for (unsigned order = 0; order <= FRAME_MAX_ORDER; order++)
        free_lists[order] = NULL;
    free_frames = 0;
    uint64_t total = mm_frame_count();
    for (uint64_t pfn = 0; pfn < total;) {
        if (pfn_to_page(pfn)->state != PAGE_FREE) {
            pfn++;
            continue;
        }
        /* The largest aligned block starting here whose frames are all free. */
        unsigned order = 0;
        while (order < FRAME_MAX_ORDER && pfn % (2ull << order) == 0 &&
               pfn + (2ull << order) <= total) {
            uint64_t i = 1ull << order;
            while (i < (2ull << order) && pfn_to_page(pfn + i)->state == PAGE_FREE)
                i++;
            if (i < (2ull << order))
                break;
            order++;
        }
        push(pfn_to_page(pfn), order);
        pfn += 1ull << order;
    }
}

phys_addr_t buddy_alloc(unsigned order)
{
    unsigned found = order;
    while (found <= FRAME_MAX_ORDER && !free_lists[found])
        found++;
    if (found > FRAME_MAX_ORDER)
        return 0;
    struct page *block = free_lists[found];
    unlink_block(block, found);
    /* Split: keep the lower half, put the upper half on the list below. */
    while (found > order) {
        found--;
        push(block + (1ull << found), found);
    }
    return page_to_pfn(block) << PAGE_SHIFT;
}

void buddy_free(phys_addr_t address, unsigned order)
{
    uint64_t pfn = address >> PAGE_SHIFT;
    while (order < FRAME_MAX_ORDER) {
        uint64_t buddy_pfn = pfn ^ (1ull << order);
        struct page *buddy = pfn_to_page(buddy_pfn);
        if (!buddy || !(buddy->flags & FREE_HEAD) || buddy->order != order)
            break;
        unlink_block(buddy, order);
        pfn &= ~(1ull << order);
        order++;
    }
    push(pfn_to_page(pfn), order);
}

uint64_t buddy_free_frames(void)
{
    return free_frames;
}

void buddy_get_stats(struct buddy_stats *stats)
{
    for (unsigned order = 0; order <= FRAME_MAX_ORDER; order++) {
        stats->free_blocks[order] = 0;
        for (struct page *p = free_lists[order]; p; p = p->next)
            stats->free_blocks[order]++;
    }
}
