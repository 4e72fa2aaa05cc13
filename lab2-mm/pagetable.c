/* Lab 2, part 2: four-level page tables. Read "Part 2" of lab2-mm/README.md. */
#include "lab2.h"

pte_t *pt_walk(phys_addr_t root, uintptr_t va, bool create)
{
    (void)root;
    (void)va;
    (void)create;
    /* TODO(lab2): from the PML4 at `root`, follow pt_index(va, 4), (va, 3),
     * (va, 2) down to the level-1 table, creating missing tables with
     * frame_alloc_zeroed(0) if `create`; return &table[pt_index(va, 1)]. */
    return NULL;
}

int pt_map(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags)
{
    (void)root;
    (void)va;
    (void)pa;
    (void)flags;
    /* TODO(lab2): walk with create; refuse a present entry; write the new
     * entry with pte_make. */
    return -ENOSYS;
}

int pt_unmap(phys_addr_t root, uintptr_t va)
{
    (void)root;
    (void)va;
    /* TODO(lab2): clear the entry, flush the TLB if `root` is active, and
     * free the tables that are left empty, bottom up. */
    return -ENOSYS;
}

bool pt_translate(phys_addr_t root, uintptr_t va, phys_addr_t *pa_out)
{
    (void)root;
    (void)va;
    (void)pa_out;
    /* TODO(lab2): walk without creating; add the offset within the page. */
    return false;
}

int pt_protect(phys_addr_t root, uintptr_t va, uint64_t flags)
{
    (void)root;
    (void)va;
    (void)flags;
    /* TODO(lab2): rewrite the entry's flags, keep its frame; flush the TLB
     * if `root` is active. */
    return -ENOSYS;
}

/* ---- Challenge part: 2 MiB pages and pt_print (README.md, "Challenge part") ----
 * The functions above must also understand 2 MiB entries (see lab2.h):
 * pt_walk stops at one (NULL), pt_map refuses a page inside one, pt_translate
 * translates inside one, and pt_unmap / pt_protect split one first. */

int pt_map_huge(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags)
{
    (void)root;
    (void)va;
    (void)pa;
    (void)flags;
    /* TODO(lab2 challenge): refuse misaligned addresses; walk levels 4 and 3
     * creating tables; refuse a present level-2 entry; write one with
     * PTE_HUGE. */
    return -ENOSYS;
}

int pt_unmap_huge(phys_addr_t root, uintptr_t va)
{
    (void)root;
    (void)va;
    /* TODO(lab2 challenge): find the level-2 entry with PTE_HUGE, clear it,
     * flush the TLB if `root` is active, free the tables left empty. */
    return -ENOSYS;
}

int pt_protect_huge(phys_addr_t root, uintptr_t va, uint64_t flags)
{
    (void)root;
    (void)va;
    (void)flags;
    /* TODO(lab2 challenge): rewrite the 2 MiB entry's flags (keep PTE_HUGE
     * and its address); flush the TLB if `root` is active. */
    return -ENOSYS;
}

void pt_print(phys_addr_t root)
{
    (void)root;
    /* TODO(lab2 challenge): print "page table 0x<root>", then every present
     * entry of the user half, depth first, in the README's format. */
}
