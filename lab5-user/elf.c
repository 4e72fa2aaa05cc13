/* Lab 5, part 1: loading programs. Read "Part 1" of lab5-user/README.md. */
#include "lab5.h"

int elf_load(phys_addr_t root, const void *image, size_t size, struct elf_info *info)
{
    (void)root, (void)image, (void)size, (void)info;
    /* TODO(lab5): check the ELF header, then map and fill each PT_LOAD
     * segment (vm_map of frame_alloc_zeroed frames; copy through
     * phys_to_virt); fill `info`. */
    return -ENOSYS;
}

uintptr_t stack_setup(phys_addr_t root, const char *const argv[], const char *const envp[],
                      const struct elf_info *info)
{
    (void)root, (void)argv, (void)envp, (void)info;
    /* TODO(lab5): map the stack; copy the strings; lay out argc, argv,
     * envp and the auxiliary vector; return the stack pointer. */
    return 0;
}
