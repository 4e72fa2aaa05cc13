/* Lab 1, part 2: the memory map from the Multiboot2 information. (Reference
 * solution.) */
#include "lab1.h"

size_t memmap_walk(const struct mb2_info *mbi, memmap_callback_t callback, void *ctx)
{
    const uint8_t *end = (const uint8_t *)mbi + mbi->total_size;
    const uint8_t *p = (const uint8_t *)mbi + sizeof(*mbi);
    size_t visited = 0;
    while (p + sizeof(struct mb2_tag) <= end) {
        const struct mb2_tag *tag = (const struct mb2_tag *)p;
        if (tag->type == MB2_TAG_END || tag->size < sizeof(struct mb2_tag))
            break;
        if (tag->type == MB2_TAG_MMAP) {
            const struct mb2_tag_mmap *map = (const struct mb2_tag_mmap *)tag;
            const uint8_t *tag_end = p + tag->size;
            for (const uint8_t *e = map->entries; map->entry_size && e + map->entry_size <= tag_end;
                 e += map->entry_size) {
                callback((const struct mb2_mmap_entry *)e, ctx);
                visited++;
            }
        }
        p += (tag->size + 7) & ~7u;
    }
    return visited;
}

static void add_usable(const struct mb2_mmap_entry *entry, void *ctx)
{
    if (entry->type == MB2_MEMORY_AVAILABLE)
        *(uint64_t *)ctx += entry->length;
}

uint64_t memmap_total_usable(const struct mb2_info *mbi)
{
    uint64_t total = 0;
    memmap_walk(mbi, add_usable, &total);
    return total;
}

static void print_entry(const struct mb2_mmap_entry *entry, void *ctx)
{
    (void)ctx;
    kprintf("  0x%012lx - 0x%012lx  %10lu KiB  %s\n", entry->base_addr,
            entry->base_addr + entry->length, entry->length >> 10,
            memory_region_type_name((enum memory_region_type)entry->type));
}

void memmap_print(const struct mb2_info *mbi)
{
    memmap_walk(mbi, print_entry, NULL);
    uint64_t total = memmap_total_usable(mbi);
    kprintf("Total usable memory: %lu KiB (%lu MiB)\n", total >> 10, total >> 20);
}
