/* Lab 2, part 2: four-level page tables. (Reference solution.) */
#include "lab2.h"

#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITABLE | PTE_USER)

pte_t *pt_walk(phys_addr_t root, uintptr_t va, bool create)
{
    pte_t *table = pt_table(root);
    for (int level = 4; level > 1; level--) {
        pte_t *entry = &table[pt_index(va, level)];
        if (!pte_present(*entry)) {
            if (!create)
                return NULL;
            phys_addr_t fresh = frame_alloc_zeroed(0);
            if (!fresh)
                return NULL;
            *entry = pte_make(fresh, TABLE_FLAGS);
        }
        table = pt_table(pte_address(*entry));
    }
    return &table[pt_index(va, 1)];
}

int pt_map(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags)
{
    pte_t *entry = pt_walk(root, va, true);
    if (!entry)
        return -ENOMEM;
    if (pte_present(*entry))
        return -EEXIST;
    *entry = pte_make(pa, flags | PTE_PRESENT);
    return 0;
}

static bool table_is_empty(const pte_t *table)
{
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        if (table[i])
            return false;
    return true;
}

int pt_unmap(phys_addr_t root, uintptr_t va)
{
    /* Remember the path down, to free tables that become empty on the way up. */
    pte_t *path[5];
    pte_t *table = pt_table(root);
    for (int level = 4; level >= 1; level--) {
        path[level] = &table[pt_index(va, level)];
        if (!pte_present(*path[level]))
            return -ENOENT;
        if (level > 1)
            table = pt_table(pte_address(*path[level]));
    }
    *path[1] = 0;
    if (paging_current_root() == root)
        tlb_flush_page(va);
    for (int level = 1; level < 4; level++) {
        phys_addr_t this_table = pte_address(*path[level + 1]);
        if (!table_is_empty(pt_table(this_table)))
            break;
        *path[level + 1] = 0;
        frame_free(this_table, 0);
    }
    return 0;
}

bool pt_translate(phys_addr_t root, uintptr_t va, phys_addr_t *pa_out)
{
    pte_t *entry = pt_walk(root, va, false);
    if (!entry || !pte_present(*entry))
        return false;
    *pa_out = pte_address(*entry) | (va & (PAGE_SIZE - 1));
    return true;
}

int pt_protect(phys_addr_t root, uintptr_t va, uint64_t flags)
{
    pte_t *entry = pt_walk(root, va, false);
    if (!entry || !pte_present(*entry))
        return -ENOENT;
    *entry = pte_make(pte_address(*entry), flags | PTE_PRESENT);
    if (paging_current_root() == root)
        tlb_flush_page(va);
    return 0;
}
