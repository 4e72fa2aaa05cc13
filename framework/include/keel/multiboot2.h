/* The Multiboot2 boot information format (Multiboot2 specification, section
 * 3.6), as structures. Keel hands every kernel a Multiboot2 information block:
 * the one GRUB made, or one the framework builds when the kernel was started
 * another way (QEMU's direct PVH boot, the Linux platform), so code that walks
 * the tags works everywhere.
 *
 * Layout: a fixed header (total_size, reserved), then tags. Every tag starts
 * with a type and a size (the size counts the tag header and excludes padding);
 * the next tag starts at the next 8-byte boundary. A tag of type 0 and size 8
 * ends the list. */
#ifndef KEEL_MULTIBOOT2_H
#define KEEL_MULTIBOOT2_H

#include <keel/types.h>

/* What a Multiboot2 boot loader leaves in EAX for the kernel. */
#define MB2_BOOTLOADER_MAGIC 0x36d76289u

/* Tag types (struct mb2_tag's type). */
#define MB2_TAG_END             0
#define MB2_TAG_CMDLINE         1
#define MB2_TAG_BOOTLOADER_NAME 2
#define MB2_TAG_MODULE          3
#define MB2_TAG_BASIC_MEMINFO   4
#define MB2_TAG_BOOTDEV         5
#define MB2_TAG_MMAP            6
#define MB2_TAG_FRAMEBUFFER     8
#define MB2_TAG_ACPI_OLD        14
#define MB2_TAG_ACPI_NEW        15

/* Memory map entry types. */
#define MB2_MEMORY_AVAILABLE        1
#define MB2_MEMORY_RESERVED         2
#define MB2_MEMORY_ACPI_RECLAIMABLE 3
#define MB2_MEMORY_NVS              4
#define MB2_MEMORY_BADRAM           5

/* The header at the start of the information block. */
struct mb2_info {
    uint32_t total_size; /* bytes, including this header and the end tag */
    uint32_t reserved;
};

/* The start of every tag. */
struct mb2_tag {
    uint32_t type;
    uint32_t size;
};

struct mb2_tag_string { /* MB2_TAG_CMDLINE, MB2_TAG_BOOTLOADER_NAME */
    uint32_t type;
    uint32_t size;
    char string[]; /* NUL-terminated */
};

/* MB2_TAG_MODULE: a file the boot loader loaded (one tag per module). */
struct mb2_tag_module {
    uint32_t type;
    uint32_t size;
    uint32_t mod_start; /* physical address of the first byte */
    uint32_t mod_end;   /* physical address one past the last byte */
    char cmdline[];     /* NUL-terminated */
};

/* MB2_TAG_BASIC_MEMINFO: the amount of lower and upper memory. */
struct mb2_tag_basic_meminfo {
    uint32_t type;
    uint32_t size;
    uint32_t mem_lower; /* KiB below 1 MiB */
    uint32_t mem_upper; /* KiB from 1 MiB to the first hole */
};

/* One entry of MB2_TAG_MMAP, the physical memory map. */
struct mb2_mmap_entry {
    uint64_t base_addr;
    uint64_t length;
    uint32_t type; /* MB2_MEMORY_* */
    uint32_t reserved;
};

/* The memory map. Entries are entry_size bytes apart, which may be more than
 * sizeof(struct mb2_mmap_entry): step by entry_size, never by the struct size. */
struct mb2_tag_mmap {
    uint32_t type;
    uint32_t size;
    uint32_t entry_size;
    uint32_t entry_version;
    uint8_t entries[];
};

/* MB2_TAG_FRAMEBUFFER: the linear framebuffer's address and geometry
 * (the colour information that follows it in the tag is not described). */
struct mb2_tag_framebuffer {
    uint32_t type;
    uint32_t size;
    uint64_t framebuffer_addr;
    uint32_t framebuffer_pitch;
    uint32_t framebuffer_width;
    uint32_t framebuffer_height;
    uint8_t framebuffer_bpp;
    uint8_t framebuffer_type;
    uint16_t reserved;
};

#endif
