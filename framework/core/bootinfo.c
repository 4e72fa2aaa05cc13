/* Parsing a Multiboot2 information block into struct boot_info. */
#include <keel/bootinfo.h>
#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/multiboot2.h>
#include <keel/panic.h>

#include "internal.h"

static struct boot_info the_boot_info = {.cmdline = ""};
static bool parsed;

const struct boot_info *boot_info_get(void)
{
    return parsed ? &the_boot_info : NULL;
}

const char *memory_region_type_name(enum memory_region_type type)
{
    switch (type) {
    case MEMORY_USABLE:
        return "usable";
    case MEMORY_RESERVED:
        return "reserved";
    case MEMORY_ACPI_RECLAIMABLE:
        return "ACPI reclaimable";
    case MEMORY_ACPI_NVS:
        return "ACPI NVS";
    case MEMORY_BAD:
        return "bad memory";
    }
    return "unknown";
}

static void add_region(struct boot_info *info, uint64_t base, uint64_t length, uint32_t type)
{
    if (length == 0)
        return;
    if (info->region_count == BOOT_MAX_MEMORY_REGIONS) {
        pr_warn("more than %d memory regions; ignoring the rest\n", BOOT_MAX_MEMORY_REGIONS);
        return;
    }
    /* Unknown types are treated as reserved, as the specification asks. */
    if (type < MEMORY_USABLE || type > MEMORY_BAD)
        type = MEMORY_RESERVED;
    struct memory_region *r = &info->regions[info->region_count++];
    r->base = base;
    r->length = length;
    r->type = (enum memory_region_type)type;
    if (type == MEMORY_USABLE)
        info->usable_bytes += length;
}

void bootinfo_from_multiboot2(const struct mb2_info *mbi, struct boot_info *info)
{
    info->multiboot2 = mbi;
    info->loader = "unknown boot loader";
    const uint8_t *end = (const uint8_t *)mbi + mbi->total_size;
    const uint8_t *p = (const uint8_t *)mbi + sizeof(*mbi);
    while (p + sizeof(struct mb2_tag) <= end) {
        const struct mb2_tag *tag = (const struct mb2_tag *)p;
        if (tag->type == MB2_TAG_END)
            break;
        if (tag->size < sizeof(struct mb2_tag) || p + tag->size > end)
            panic("malformed Multiboot2 tag (type %u, size %u)", tag->type, tag->size);
        switch (tag->type) {
        case MB2_TAG_CMDLINE:
            info->cmdline = ((const struct mb2_tag_string *)tag)->string;
            break;
        case MB2_TAG_BOOTLOADER_NAME:
            info->loader = ((const struct mb2_tag_string *)tag)->string;
            break;
        case MB2_TAG_MODULE: {
            const struct mb2_tag_module *m = (const struct mb2_tag_module *)tag;
            if (info->module_count < BOOT_MAX_MODULES) {
                struct boot_module *bm = &info->modules[info->module_count++];
                bm->start = m->mod_start;
                bm->end = m->mod_end;
                bm->cmdline = m->cmdline;
            }
            break;
        }
        case MB2_TAG_MMAP: {
            const struct mb2_tag_mmap *map = (const struct mb2_tag_mmap *)tag;
            if (map->entry_size < sizeof(struct mb2_mmap_entry))
                panic("Multiboot2 memory map entries are %u bytes, fewer than %zu", map->entry_size,
                      sizeof(struct mb2_mmap_entry));
            for (const uint8_t *e = map->entries; e + map->entry_size <= p + tag->size;
                 e += map->entry_size) {
                const struct mb2_mmap_entry *entry = (const struct mb2_mmap_entry *)e;
                add_region(info, entry->base_addr, entry->length, entry->type);
            }
            break;
        }
        case MB2_TAG_FRAMEBUFFER: {
            const struct mb2_tag_framebuffer *fb = (const struct mb2_tag_framebuffer *)tag;
            info->framebuffer.address = fb->framebuffer_addr;
            info->framebuffer.pitch = fb->framebuffer_pitch;
            info->framebuffer.width = fb->framebuffer_width;
            info->framebuffer.height = fb->framebuffer_height;
            info->framebuffer.bpp = fb->framebuffer_bpp;
            break;
        }
        }
        p += KEEL_ALIGN_UP(tag->size, 8);
    }
    if (info->region_count == 0)
        panic("the boot loader gave no memory map");
}

struct boot_info *bootinfo_storage(void)
{
    parsed = true;
    return &the_boot_info;
}
