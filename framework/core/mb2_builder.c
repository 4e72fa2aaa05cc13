/* The kernel's own copy of the Multiboot2 information block: copied from
 * what GRUB left in memory, or built tag by tag where the boot had none (QEMU
 * PVH, the Linux platform). Kept in the kernel image, so no frame allocator
 * can hand its memory out. */
#include <keel/multiboot2.h>
#include <keel/panic.h>
#include <keel/string.h>

#include "internal.h"

#define MB2_COPY_SIZE (16 * 1024)

static uint8_t mb2_copy[MB2_COPY_SIZE] __attribute__((aligned(8)));
static size_t mb2_used;

void mb2_builder_begin(void)
{
    mb2_used = sizeof(struct mb2_info);
}

void *mb2_add_tag(uint32_t type, uint32_t size)
{
    size_t aligned = KEEL_ALIGN_UP(size, 8);
    if (mb2_used + aligned + 8 > sizeof(mb2_copy))
        panic("boot information does not fit in %zu bytes", sizeof(mb2_copy));
    struct mb2_tag *tag = (struct mb2_tag *)(mb2_copy + mb2_used);
    memset(tag, 0, aligned);
    tag->type = type;
    tag->size = size;
    mb2_used += aligned;
    return tag;
}

void mb2_add_string(uint32_t type, const char *text)
{
    size_t len = strlen(text);
    struct mb2_tag_string *tag = mb2_add_tag(type, (uint32_t)(8 + len + 1));
    memcpy(tag->string, text, len + 1);
}

void mb2_builder_finish(void)
{
    mb2_add_tag(MB2_TAG_END, 8);
    struct mb2_info *header = (struct mb2_info *)mb2_copy;
    header->total_size = (uint32_t)mb2_used;
    header->reserved = 0;
}

void mb2_builder_copy(const struct mb2_info *original)
{
    if (original->total_size > sizeof(mb2_copy))
        panic("the Multiboot2 information block is %u bytes; Keel keeps at most %zu",
              original->total_size, sizeof(mb2_copy));
    memcpy(mb2_copy, original, original->total_size);
    mb2_used = original->total_size;
}

const struct mb2_info *mb2_builder_block(void)
{
    return (const struct mb2_info *)mb2_copy;
}
