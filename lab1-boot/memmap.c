/* Lab 1, part 2: the memory map from the Multiboot2 information.
 * Read "Part 2" of lab1-boot/README.md for the tag layout. */
#include "lab1.h"

size_t memmap_walk(const struct mb2_info *mbi, memmap_callback_t callback, void *ctx)
{
    (void)mbi;
    (void)callback;
    (void)ctx;
    /* TODO(lab1): the first tag starts right after the 8-byte header. For
     * each tag until the end tag (type MB2_TAG_END): if it is the memory map
     * (MB2_TAG_MMAP), call callback(entry, ctx) for each entry, stepping by
     * the tag's entry_size; then move to the next tag, at the next 8-byte
     * boundary after this one. Return how many entries you visited. */
    return 0;
}

uint64_t memmap_total_usable(const struct mb2_info *mbi)
{
    (void)mbi;
    /* TODO(lab1): use memmap_walk with a callback that adds up the lengths
     * of the MB2_MEMORY_AVAILABLE entries. */
    return 0;
}

void memmap_print(const struct mb2_info *mbi)
{
    (void)mbi;
    /* TODO(lab1): print one line per entry (start, end, size, type name),
     * then "Total usable memory: N KiB (M MiB)". */
    kprintf("  (memmap_print is not written yet: lab1-boot/memmap.c)\n");
}
