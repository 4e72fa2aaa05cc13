/* Lab 5, challenge part: copy-on-write fork and demand-zero memory.
 * (Reference solution.) */
#include "lab5.h"

#define REGION_FLAGS (PTE_WRITABLE | PTE_NO_EXECUTE)

/* A write to a copy-on-write page: the writer's own copy, or the page itself
 * if nobody else shares it any more. */
static enum vm_fault_result copy_on_write(struct process *process, uintptr_t page, pte_t entry)
{
    phys_addr_t shared = pte_address(entry);
    uint64_t flags = (entry & (PTE_USER | PTE_NO_EXECUTE)) | PTE_WRITABLE;
    if (frame_refcount(shared) == 1)
        return vm_protect(process->root, page, flags) == 0 ? VM_FAULT_COW : VM_FAULT_BAD;
    phys_addr_t copy = frame_alloc(0);
    if (!copy)
        return VM_FAULT_OOM;
    memcpy(phys_to_virt(copy), phys_to_virt(shared), PAGE_SIZE);
    vm_unmap(process->root, page);
    if (vm_map(process->root, page, copy, flags) < 0) {
        /* vm_unmap frees the tables it empties, so vm_map may need frames
         * again and find none. Put the shared page back if it can be, else
         * let go of this mapping's share (the process is killed anyway). */
        frame_free(copy, 0);
        if (vm_map(process->root, page, shared, entry & PTE_MAP_FLAGS) < 0)
            frame_unref(shared);
        return VM_FAULT_OOM;
    }
    frame_unref(shared);
    return VM_FAULT_COW;
}

/* The first touch of demand-zero memory with `flags`. */
static enum vm_fault_result demand_zero(struct process *process, uintptr_t page, uint64_t flags)
{
    phys_addr_t frame = frame_alloc_zeroed(0);
    if (!frame)
        return VM_FAULT_OOM;
    if (vm_map(process->root, page, frame, flags | PTE_USER) < 0) { /* no page table */
        frame_free(frame, 0);
        return VM_FAULT_OOM;
    }
    return VM_FAULT_LAZY;
}

enum vm_fault_result vm_fault(struct process *process, uintptr_t address, bool write)
{
    if (address >= USER_STACK_TOP)
        return VM_FAULT_BAD;
    uintptr_t page = KEEL_ALIGN_DOWN(address, PAGE_SIZE);
    pte_t entry = paging_lookup(process->root, page, NULL);
    if (pte_present(entry))
        return write && (entry & PTE_COW) ? copy_on_write(process, page, entry) : VM_FAULT_BAD;
    if (page >= process->heap_start && page < KEEL_ALIGN_UP(process->heap_end, PAGE_SIZE))
        return demand_zero(process, page, PTE_WRITABLE | PTE_NO_EXECUTE);
    struct vm_region *region = vm_region_find(process, page);
    if (!region || (write && !(region->flags & PTE_WRITABLE)))
        return VM_FAULT_BAD;
    return demand_zero(process, page, region->flags);
}

static struct vm_region *free_slot(struct process *process)
{
    for (int i = 0; i < PROCESS_REGIONS; i++)
        if (process->regions[i].start == process->regions[i].end)
            return &process->regions[i];
    return NULL;
}

int vm_region_remove(struct process *process, uintptr_t start, uintptr_t end)
{
    for (int i = 0; i < PROCESS_REGIONS; i++) {
        struct vm_region *region = &process->regions[i];
        if (region->start == region->end || region->end <= start || region->start >= end)
            continue;
        if (region->start < start && region->end > end) { /* a hole in the middle */
            struct vm_region *rest = free_slot(process);
            if (!rest)
                return -ENOMEM;
            *rest = (struct vm_region){end, region->end, region->flags};
            region->end = start;
        } else if (region->start < start) {
            region->end = start;
        } else if (region->end > end) {
            region->start = end;
        } else {
            region->start = region->end = 0;
        }
    }
    return 0;
}

int vm_region_add(struct process *process, uintptr_t start, uintptr_t end, uint64_t flags)
{
    if (vm_region_remove(process, start, end) < 0)
        return -ENOMEM;
    flags &= REGION_FLAGS;
    /* Grow a neighbour with the same flags rather than take a slot. */
    for (int i = 0; i < PROCESS_REGIONS; i++) {
        struct vm_region *region = &process->regions[i];
        if (region->start != region->end && region->flags == flags &&
            (region->end == start || region->start == end)) {
            region->start = region->start < start ? region->start : start;
            region->end = region->end > end ? region->end : end;
            return 0;
        }
    }
    struct vm_region *slot = free_slot(process);
    if (!slot)
        return -ENOMEM;
    *slot = (struct vm_region){start, end, flags};
    return 0;
}

struct vm_region *vm_region_find(struct process *process, uintptr_t address)
{
    for (int i = 0; i < PROCESS_REGIONS; i++)
        if (address >= process->regions[i].start && address < process->regions[i].end)
            return &process->regions[i];
    return NULL;
}
