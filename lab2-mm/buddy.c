/* Lab 2, part 1: the buddy allocator. Read "Part 1" of lab2-mm/README.md. */
#include "lab2.h"

void buddy_init(void)
{
    /* TODO(lab2): empty the free lists, then walk every frame
     * (pfn_to_page(0 … mm_frame_count() - 1)); for each run of PAGE_FREE
     * frames, add the largest aligned blocks that fit to the lists. */
}

phys_addr_t buddy_alloc(unsigned order)
{
    (void)order;
    /* TODO(lab2): find the smallest non-empty list of order >= `order`, take a
     * block, split it down to `order` putting the halves you don't need on
     * the lists below; return its physical address (0 if none). */
    return 0;
}

void buddy_free(phys_addr_t block, unsigned order)
{
    (void)block;
    (void)order;
    /* TODO(lab2): while the buddy (block ^ (PAGE_SIZE << order)) is a free
     * block of the same order, take it off its list and merge; then put the
     * result on its list. */
}

uint64_t buddy_free_frames(void)
{
    /* TODO(lab2): how many frames the free lists hold. */
    return 0;
}

void buddy_get_stats(struct buddy_stats *stats)
{
    /* TODO(lab2): count the blocks on each list. */
    for (unsigned order = 0; order <= FRAME_MAX_ORDER; order++)
        stats->free_blocks[order] = 0;
}
