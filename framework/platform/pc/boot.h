/* Constants the PC's boot assembly (boot.S) shares with C (boot_info.c).
 * The linker script repeats the kernel's load address (1 MiB) and virtual
 * base (KERNEL_VMA, core/internal.h): ld reads no headers. */
#ifndef KEEL_PLATFORM_PC_BOOT_H
#define KEEL_PLATFORM_PC_BOOT_H

#define BOOT_STACK_SIZE      (16 * 1024)
#define BOOT_CODE64_SELECTOR 0x08
#define BOOT_DATA_SELECTOR   0x10
/* boot_magic value meaning "started through PVH" (the PVH start-info magic). */
#define BOOT_MAGIC_PVH 0x336ec578

#endif
