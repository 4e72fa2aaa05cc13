/* Kernel stacks on the PC: thread stacks (frames mapped in the kernel's half
 * of every address space, each below an unmapped guard page), and which
 * stack an address is on, for backtraces (threads', the boot stack, the
 * double-fault stack). */
#include <keel/frame.h>
#include <keel/interrupt.h>
#include <keel/paging.h>
#include <keel/thread.h>

#include "../../core/internal.h"
#include "pc.h"

/* Thread stacks live in [STACK_AREA, STACK_AREA_END), one slot each: a
 * guard page left unmapped, then the stack. A freed slot waits in a
 * quarantine of the QUARANTINE most recently freed before it is used again,
 * so a stale pointer into a freed stack still faults for a while; slots are
 * otherwise reused lowest first, which keeps the page tables that map the
 * area few (they stay, and serve the next stacks there). */
#define STACK_AREA     0xffffffff90000000ul
#define STACK_AREA_END 0xffffffffc0000000ul /* kernel_map.c's MMIO window */
#define STACK_ORDER    2                    /* 16 KiB */
#define SLOT_SIZE      (PAGE_SIZE + THREAD_STACK_SIZE)
#define SLOTS          ((STACK_AREA_END - STACK_AREA) / SLOT_SIZE)
#define QUARANTINE     64

_Static_assert(THREAD_STACK_SIZE == (PAGE_SIZE << STACK_ORDER), "stack size");

static uint64_t slot_used[(SLOTS + 63) / 64];
static unsigned quarantine[QUARANTINE], quarantine_next, quarantine_count;

static uintptr_t slot_base(unsigned slot)
{
    return STACK_AREA + (uintptr_t)slot * SLOT_SIZE + PAGE_SIZE;
}

/* The lowest free slot, marked used; SLOTS if every one is taken. */
static unsigned slot_take(void)
{
    for (unsigned word = 0; word < KEEL_ARRAY_SIZE(slot_used); word++) {
        if (slot_used[word] == ~0ull)
            continue;
        unsigned slot = word * 64 + (unsigned)__builtin_ctzll(~slot_used[word]);
        if (slot >= SLOTS)
            break;
        slot_used[word] |= 1ull << (slot % 64);
        return slot;
    }
    return SLOTS;
}

static void slot_release(unsigned slot)
{
    slot_used[slot / 64] &= ~(1ull << (slot % 64));
}

/* Put `slot` in the quarantine; the oldest one there becomes free. */
static void slot_quarantine(unsigned slot)
{
    if (quarantine_count == QUARANTINE)
        slot_release(quarantine[quarantine_next]);
    else
        quarantine_count++;
    quarantine[quarantine_next] = slot;
    quarantine_next = (quarantine_next + 1) % QUARANTINE;
}

/* Unmap the first `mapped` pages of the stack at `base`. */
static void unmap_stack(uintptr_t base, unsigned mapped)
{
    for (unsigned i = 0; i < mapped; i++)
        arch_unmap_page(kernel_root_table, base + i * PAGE_SIZE);
}

bool platform_stack_create(uintptr_t *bottom, uintptr_t *top)
{
    irq_push_off();
    unsigned slot = slot_take();
    irq_pop_off();
    phys_addr_t frames = slot < SLOTS
                             ? frame_alloc_as(STACK_ORDER, FRAME_KIND_STACK,
                                              (uintptr_t)__builtin_return_address(0), false)
                             : 0;
    uintptr_t base = slot_base(slot);
    unsigned mapped = 0;
    while (frames && mapped < (1u << STACK_ORDER) &&
           arch_map_page(kernel_root_table, base + mapped * PAGE_SIZE, frames + mapped * PAGE_SIZE,
                         PTE_WRITABLE | PTE_NO_EXECUTE | PTE_GLOBAL) == 0)
        mapped++;
    if (!frames || mapped < (1u << STACK_ORDER)) {
        unmap_stack(base, mapped);
        if (frames)
            frame_free(frames, STACK_ORDER);
        irq_push_off();
        if (slot < SLOTS)
            slot_release(slot);
        irq_pop_off();
        return false;
    }
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
    if (bottom >= STACK_AREA + PAGE_SIZE && bottom < STACK_AREA_END) {
        irq_push_off();
        slot_quarantine((unsigned)((bottom - STACK_AREA) / SLOT_SIZE));
        irq_pop_off();
    }
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
