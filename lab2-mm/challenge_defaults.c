/* Lab 2's challenge functions as they are before anyone writes them: weak
 * definitions that your own (in pagetable.c) replace. They let a
 * pagetable.c without the challenge part (one written before it existed)
 * still link: the core is graded as usual and the challenge tests fail with
 * -ENOSYS. You do not need to change this file. */
#include "lab2.h"

__attribute__((weak)) int pt_map_huge(phys_addr_t root, uintptr_t va, phys_addr_t pa,
                                      uint64_t flags)
{
    (void)root, (void)va, (void)pa, (void)flags;
    return -ENOSYS;
}

__attribute__((weak)) int pt_unmap_huge(phys_addr_t root, uintptr_t va)
{
    (void)root, (void)va;
    return -ENOSYS;
}

__attribute__((weak)) int pt_protect_huge(phys_addr_t root, uintptr_t va, uint64_t flags)
{
    (void)root, (void)va, (void)flags;
    return -ENOSYS;
}

__attribute__((weak)) void pt_print(phys_addr_t root)
{
    (void)root;
}
