/* Lab 5, challenge part: copy-on-write fork and demand-zero memory. Read
 * "Challenge part" of lab5-user/README.md. */
#include "lab5.h"

enum vm_fault_result vm_fault(struct process *process, uintptr_t address, bool write)
{
    (void)process, (void)address, (void)write;
    /* TODO(lab5 challenge): a write to a PTE_COW page: copy it (or, for its
     * last owner, make it writable); a first touch of the heap or a region:
     * map a zeroed frame. Anything else is VM_FAULT_BAD. */
    return VM_FAULT_BAD;
}

int vm_region_add(struct process *process, uintptr_t start, uintptr_t end, uint64_t flags)
{
    (void)process, (void)start, (void)end, (void)flags;
    /* TODO(lab5 challenge): remove what overlaps, then take a free slot. */
    return -ENOMEM;
}

int vm_region_remove(struct process *process, uintptr_t start, uintptr_t end)
{
    (void)process, (void)start, (void)end;
    /* TODO(lab5 challenge): cut or split every region that overlaps. */
    return 0;
}

struct vm_region *vm_region_find(struct process *process, uintptr_t address)
{
    (void)process, (void)address;
    /* TODO(lab5 challenge): the region with start <= address < end. */
    return NULL;
}
