/* What the boot loader told the kernel, parsed by the framework.
 *
 * The framework parses whatever it was started with (GRUB's Multiboot2 block,
 * QEMU's PVH start info, the Linux platform's synthesised data) into one
 * struct boot_info, and also keeps a Multiboot2 block for code that wants to
 * walk the tags itself (lab 1 does). */
#ifndef KEEL_BOOTINFO_H
#define KEEL_BOOTINFO_H

#include <keel/types.h>

/* Capacity of boot_info's tables: memory regions beyond the first 64 are
 * dropped with a warning at boot, modules beyond the first 16 silently. */
#define BOOT_MAX_MEMORY_REGIONS 64
#define BOOT_MAX_MODULES        16

/* What a region of physical memory is, with the Multiboot2 (and E820) type
 * numbers. Only MEMORY_USABLE may be handed out as frames. */
enum memory_region_type {
    MEMORY_USABLE = 1,
    MEMORY_RESERVED = 2,
    MEMORY_ACPI_RECLAIMABLE = 3,
    MEMORY_ACPI_NVS = 4,
    MEMORY_BAD = 5,
};

/* One region of the physical memory map, as the firmware reported it. */
struct memory_region {
    phys_addr_t base;
    uint64_t length;
    enum memory_region_type type;
};

/* A file the boot loader loaded next to the kernel (the boot archive of
 * user programs); its bytes are reachable through the direct map. */
struct boot_module {
    phys_addr_t start; /* first byte */
    phys_addr_t end;   /* one past the last byte */
    const char *cmdline;
};

/* The linear framebuffer the boot loader set up, if any. */
struct boot_framebuffer {
    phys_addr_t address; /* 0 if there is no framebuffer */
    uint32_t pitch, width, height;
    uint8_t bpp;
};

/* Everything the framework learned at boot. Owned by the framework; lab code
 * reads it through boot_info_get and never writes it. */
struct boot_info {
    const char *loader;  /* "GRUB 2.06", "QEMU PVH", ... */
    const char *cmdline; /* never NULL */
    struct memory_region regions[BOOT_MAX_MEMORY_REGIONS];
    size_t region_count;
    uint64_t usable_bytes; /* sum of the MEMORY_USABLE regions */
    struct boot_module modules[BOOT_MAX_MODULES];
    size_t module_count;
    struct boot_framebuffer framebuffer;
    /* The Multiboot2 information block (real or synthesised), reachable
     * through the direct map; see <keel/multiboot2.h>. */
    const struct mb2_info *multiboot2;
};

/* The parsed boot information. Valid from kmain on; read-only. */
const struct boot_info *boot_info_get(void);

/* The name of a memory region type, e.g. "usable", "reserved". */
const char *memory_region_type_name(enum memory_region_type type);

#endif
