/* The memory-checker hooks on a PC, all empty: a PC has no checker beyond
 * the framework's own (the heap's guards, the frame poison, page tables),
 * and its address spaces are its page tables alone. The Linux platform
 * feeds AddressSanitizer here and ends user-mode processes. */
#include "../../core/internal.h"

void platform_memory_poison(const void *addr, size_t size)
{
    (void)addr, (void)size;
}

void platform_memory_unpoison(const void *addr, size_t size)
{
    (void)addr, (void)size;
}

/* A PC's address spaces are its page tables alone: nothing to end. */
void platform_frames_freed(phys_addr_t block, unsigned order)
{
    (void)block, (void)order;
}
