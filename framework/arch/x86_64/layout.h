/* Constants shared by the boot assembly, the linker script and C. */
#ifndef KEEL_ARCH_LAYOUT_H
#define KEEL_ARCH_LAYOUT_H

#define KERNEL_VMA           0xffffffff80000000
#define KERNEL_LOAD_ADDRESS  0x100000
#define BOOT_STACK_SIZE      (16 * 1024)
#define BOOT_CODE64_SELECTOR 0x08
#define BOOT_DATA_SELECTOR   0x10
/* boot_magic value meaning "started through PVH" (the PVH start-info magic). */
#define BOOT_MAGIC_PVH 0x336ec578

#endif
