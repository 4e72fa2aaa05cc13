/* From what the boot loader left in memory to a struct boot_info.
 *
 * GRUB gives a Multiboot2 block; it is copied into the kernel (so it survives
 * the loader's memory being reused) and parsed. QEMU's direct boot gives a PVH
 * start-info block; a Multiboot2 block with the same facts is built from it,
 * so code that walks Multiboot2 tags works the same either way. */
#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/multiboot2.h>
#include <keel/panic.h>
#include <keel/string.h>

#include "../../core/internal.h"
#include "boot.h"

/* PVH start info (Xen's hvm_start_info, version 1). */
struct pvh_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t module_count;
    uint64_t module_list;
    uint64_t cmdline;
    uint64_t rsdp;
    uint64_t memmap; /* version 1 and later */
    uint32_t memmap_entries;
    uint32_t reserved;
};

struct pvh_module {
    uint64_t address;
    uint64_t size;
    uint64_t cmdline;
    uint64_t reserved;
};

struct pvh_memmap_entry {
    uint64_t address;
    uint64_t size;
    uint32_t type;
    uint32_t reserved;
};

static const char *physical_string(uint64_t address)
{
    return address ? (const char *)phys_to_virt(address) : "";
}

static void synthesise_from_pvh(const struct pvh_start_info *start)
{
    if (start->magic != BOOT_MAGIC_PVH)
        panic("PVH start info has magic %#x, expected %#x", start->magic, BOOT_MAGIC_PVH);
    if (start->version < 1 || start->memmap == 0)
        panic("the PVH boot gave no memory map (start info version %u); use QEMU 4.0 or newer",
              start->version);

    mb2_builder_begin();
    mb2_add_string(MB2_TAG_CMDLINE, physical_string(start->cmdline));
    /* Only the kernel's own copy of the command line may remain: it may hold
     * the grader's nonce, which keel_start takes out of that copy. */
    if (start->cmdline)
        memset(phys_to_virt(start->cmdline), 0, strlen(physical_string(start->cmdline)));
    mb2_add_string(MB2_TAG_BOOTLOADER_NAME, "QEMU direct boot (PVH)");

    const struct pvh_module *modules = phys_to_virt(start->module_list);
    for (uint32_t i = 0; start->module_list && i < start->module_count; i++) {
        const char *cmdline = physical_string(modules[i].cmdline);
        size_t len = strlen(cmdline);
        struct mb2_tag_module *tag =
            mb2_add_tag(MB2_TAG_MODULE, (uint32_t)(sizeof(*tag) + len + 1));
        tag->mod_start = (uint32_t)modules[i].address;
        tag->mod_end = (uint32_t)(modules[i].address + modules[i].size);
        memcpy(tag->cmdline, cmdline, len + 1);
    }

    const struct pvh_memmap_entry *map = phys_to_virt(start->memmap);
    uint64_t lower_kib = 0, upper_kib = 0;
    for (uint32_t i = 0; i < start->memmap_entries; i++) {
        if (map[i].type != MB2_MEMORY_AVAILABLE)
            continue;
        if (map[i].address == 0)
            lower_kib = map[i].size / 1024;
        if (map[i].address == 0x100000)
            upper_kib = map[i].size / 1024;
    }
    struct mb2_tag_basic_meminfo *meminfo = mb2_add_tag(MB2_TAG_BASIC_MEMINFO, sizeof(*meminfo));
    meminfo->mem_lower = (uint32_t)lower_kib;
    meminfo->mem_upper = (uint32_t)upper_kib;

    uint32_t entry_size = sizeof(struct mb2_mmap_entry);
    struct mb2_tag_mmap *mmap =
        mb2_add_tag(MB2_TAG_MMAP, sizeof(*mmap) + entry_size * start->memmap_entries);
    mmap->entry_size = entry_size;
    mmap->entry_version = 0;
    for (uint32_t i = 0; i < start->memmap_entries; i++) {
        struct mb2_mmap_entry *entry = (struct mb2_mmap_entry *)(mmap->entries + i * entry_size);
        entry->base_addr = map[i].address;
        entry->length = map[i].size;
        entry->type = map[i].type;
    }

    mb2_builder_finish();
}

void platform_parse_boot_info(uint32_t magic, uint32_t address, struct boot_info *info)
{
    if (magic == MB2_BOOTLOADER_MAGIC) {
        struct mb2_info *original = phys_to_virt(address);
        mb2_builder_copy(original);
        /* As for PVH: no copy of the command line but the kernel's own. */
        memset(original, 0, original->total_size);
    } else if (magic == BOOT_MAGIC_PVH)
        synthesise_from_pvh(phys_to_virt(address));
    else
        panic("started by an unknown boot loader (magic %#x): boot Keel with GRUB "
              "(multiboot2) or QEMU -kernel",
              magic);
    bootinfo_from_multiboot2(mb2_builder_block(), info);
}
