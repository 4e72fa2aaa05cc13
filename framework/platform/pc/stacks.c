/* Kernel stacks on the PC: thread stacks (frames mapped in the kernel's half
 * of every address space, each below an unmapped guard page), and which
 * stack an address is on, for backtraces (threads', the boot stack, the
 * double-fault stack). */
#include <keel/frame.h>
#include <keel/paging.h>
#include <keel/thread.h>

#include "../../core/internal.h"
#include "pc.h"

/* Thread stacks live here, each below an unmapped guard page; addresses are
 * not reused, so a stale pointer into a freed stack faults. */
#define STACK_AREA  0xffffffff90000000ul
#define STACK_ORDER 2 /* 16 KiB */

_Static_assert(THREAD_STACK_SIZE == (PAGE_SIZE << STACK_ORDER), "stack size");

static uintptr_t next_stack = STACK_AREA;

bool platform_stack_create(uintptr_t *bottom, uintptr_t *top)
{
    phys_addr_t frames = frame_alloc_as(STACK_ORDER, FRAME_KIND_STACK,
                                        (uintptr_t)__builtin_return_address(0), false);
    if (!frames)
        return false;
    uintptr_t base = next_stack + PAGE_SIZE; /* the page below stays unmapped */
    next_stack = base + THREAD_STACK_SIZE;
    for (unsigned i = 0; i < (1u << STACK_ORDER); i++)
        arch_map_page(kernel_root_table, base + i * PAGE_SIZE, frames + i * PAGE_SIZE,
                      PTE_WRITABLE | PTE_NO_EXECUTE | PTE_GLOBAL);
    *bottom = base;
    *top = base + THREAD_STACK_SIZE;
    return true;
}

void platform_stack_destroy(uintptr_t bottom, uintptr_t top)
{
    phys_addr_t frames = 0;
    for (uintptr_t va = bottom; va < top; va += PAGE_SIZE) {
        phys_addr_t pa = arch_unmap_page(kernel_root_table, va);
        if (va == bottom)
            frames = pa;
    }
    if (frames)
        frame_free(frames, STACK_ORDER);
}

bool platform_stack_bounds(uintptr_t rsp, uintptr_t *bottom, uintptr_t *top)
{
    struct thread *thread = thread_current();
    if (thread && rsp >= thread->framework.stack_bottom && rsp <= thread->framework.stack_top) {
        *bottom = thread->framework.stack_bottom;
        *top = thread->framework.stack_top;
        return true;
    }
    if (rsp >= (uintptr_t)boot_stack_bottom && rsp <= (uintptr_t)boot_stack_top) {
        *bottom = (uintptr_t)boot_stack_bottom;
        *top = (uintptr_t)boot_stack_top;
        return true;
    }
    if (rsp >= double_fault_stack_bottom && rsp <= double_fault_stack_top) {
        *bottom = double_fault_stack_bottom;
        *top = double_fault_stack_top;
        return true;
    }
    return false;
}
