/* Lab 2, part 2: four-level page tables, and the challenge part: 2 MiB pages
 * and pt_print. (Reference solution.) */
#include "lab2.h"

#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITABLE | PTE_USER)

/* Whether `entry` (of a table at `level`) maps memory itself rather than
 * pointing at a table. */
static bool is_leaf(pte_t entry, int level)
{
    return level == 1 || (entry & PTE_HUGE);
}

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
        } else if (is_leaf(*entry, level)) {
            return NULL; /* inside a 2 MiB page: there is no level-1 entry */
        }
        table = pt_table(pte_address(*entry));
    }
    return &table[pt_index(va, 1)];
}

/* The entry that maps `va` (a level-1 entry or a 2 MiB one) and its level,
 * or NULL if nothing maps it. */
static pte_t *find_leaf(phys_addr_t root, uintptr_t va, int *level_out)
{
    pte_t *table = pt_table(root);
    for (int level = 4; level >= 1; level--) {
        pte_t *entry = &table[pt_index(va, level)];
        if (!pte_present(*entry))
            return NULL;
        if (is_leaf(*entry, level)) {
            *level_out = level;
            return entry;
        }
        table = pt_table(pte_address(*entry));
    }
    return NULL;
}

int pt_map(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags)
{
    int level;
    if (find_leaf(root, va, &level) && level > 1)
        return -EEXIST; /* inside a 2 MiB page */
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

/* Replace the 2 MiB entry `*entry` by a page table that maps the same
 * frames with the same flags, 4 KiB at a time. */
static int split(pte_t *entry)
{
    phys_addr_t fresh = frame_alloc_zeroed(0);
    if (!fresh)
        return -ENOMEM;
    pte_t *table = pt_table(fresh);
    uint64_t flags = (*entry & ~PTE_ADDRESS_MASK) & ~PTE_HUGE;
    for (unsigned i = 0; i < PT_ENTRIES; i++)
        table[i] = pte_make(pte_address(*entry) + i * PAGE_SIZE, flags);
    *entry = pte_make(fresh, TABLE_FLAGS);
    return 0;
}

/* The path of entries from the PML4 down to `va`'s entry at `bottom`
 * (path[4] … path[bottom]), splitting a 2 MiB page on the way if the path
 * goes down to level 1. -ENOENT if an entry is missing, or if a 2 MiB page
 * stops the path above `bottom` when it may not be split. */
static int find_path(phys_addr_t root, uintptr_t va, int bottom, pte_t *path[5])
{
    pte_t *table = pt_table(root);
    for (int level = 4; level >= bottom; level--) {
        path[level] = &table[pt_index(va, level)];
        if (!pte_present(*path[level]))
            return -ENOENT;
        if (level > bottom && level == 2 && (*path[level] & PTE_HUGE)) {
            int result = split(path[level]);
            if (result < 0)
                return result;
        }
        if (level > bottom && (*path[level] & PTE_HUGE))
            return -ENOENT;
        if (level > bottom)
            table = pt_table(pte_address(*path[level]));
    }
    return 0;
}

/* Free the tables above `path[level]` that are now empty, bottom up. */
static void free_empty_tables(pte_t *path[5], int level)
{
    for (; level < 4; level++) {
        phys_addr_t this_table = pte_address(*path[level + 1]);
        if (!table_is_empty(pt_table(this_table)))
            break;
        *path[level + 1] = 0;
        frame_free(this_table, 0);
    }
}

int pt_unmap(phys_addr_t root, uintptr_t va)
{
    pte_t *path[5];
    int result = find_path(root, va, 1, path);
    if (result < 0)
        return result;
    *path[1] = 0;
    if (paging_current_root() == root)
        tlb_flush_page(va);
    free_empty_tables(path, 1);
    return 0;
}

bool pt_translate(phys_addr_t root, uintptr_t va, phys_addr_t *pa_out)
{
    int level;
    pte_t *entry = find_leaf(root, va, &level);
    if (!entry)
        return false;
    uint64_t span = PAGE_SIZE << (9 * (level - 1));
    *pa_out = (pte_address(*entry) & ~(span - 1)) | (va & (span - 1));
    return true;
}

int pt_protect(phys_addr_t root, uintptr_t va, uint64_t flags)
{
    pte_t *path[5];
    int result = find_path(root, va, 1, path);
    if (result < 0)
        return result;
    pte_t *entry = path[1];
    *entry = pte_make(pte_address(*entry), flags | PTE_PRESENT);
    if (paging_current_root() == root)
        tlb_flush_page(va);
    return 0;
}

/* ---- Challenge part ------------------------------------------------------- */

int pt_map_huge(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags)
{
    if (va % HUGE_PAGE_SIZE || pa % HUGE_PAGE_SIZE)
        return -EINVAL;
    pte_t *table = pt_table(root);
    for (int level = 4; level > 2; level--) {
        pte_t *entry = &table[pt_index(va, level)];
        if (!pte_present(*entry)) {
            phys_addr_t fresh = frame_alloc_zeroed(0);
            if (!fresh)
                return -ENOMEM;
            *entry = pte_make(fresh, TABLE_FLAGS);
        } else if (*entry & PTE_HUGE) {
            return -EEXIST; /* a 1 GiB page */
        }
        table = pt_table(pte_address(*entry));
    }
    pte_t *entry = &table[pt_index(va, 2)];
    if (pte_present(*entry))
        return -EEXIST; /* a 2 MiB page, or a table of 4 KiB pages */
    *entry = pte_make(pa, flags | PTE_HUGE | PTE_PRESENT);
    return 0;
}

/* The path down to the 2 MiB page at `va`, checked (see pt_unmap_huge). */
static int find_huge(phys_addr_t root, uintptr_t va, pte_t *path[5])
{
    if (va % HUGE_PAGE_SIZE)
        return -EINVAL;
    int result = find_path(root, va, 2, path);
    if (result < 0)
        return result;
    return (*path[2] & PTE_HUGE) ? 0 : -ENOENT;
}

int pt_unmap_huge(phys_addr_t root, uintptr_t va)
{
    pte_t *path[5];
    int result = find_huge(root, va, path);
    if (result < 0)
        return result;
    *path[2] = 0;
    if (paging_current_root() == root)
        tlb_flush_page(va);
    free_empty_tables(path, 2);
    return 0;
}

int pt_protect_huge(phys_addr_t root, uintptr_t va, uint64_t flags)
{
    pte_t *path[5];
    int result = find_huge(root, va, path);
    if (result < 0)
        return result;
    *path[2] = pte_make(pte_address(*path[2]), flags | PTE_HUGE | PTE_PRESENT);
    if (paging_current_root() == root)
        tlb_flush_page(va);
    return 0;
}

static void print_table(phys_addr_t table, int level, uintptr_t base)
{
    static const char *const sizes[] = {"", "4K", "2M", "1G"};
    const char *indent = "        " + 2 * level - 2;           /* two spaces for L4, eight for L1 */
    unsigned count = level == 4 ? PT_ENTRIES / 2 : PT_ENTRIES; /* the user half */
    for (unsigned i = 0; i < count; i++) {
        pte_t entry = pt_table(table)[i];
        if (!pte_present(entry))
            continue;
        uintptr_t va = base | ((uintptr_t)i << (PAGE_SHIFT + 9 * (level - 1)));
        kprintf("%sL%d[%u] 0x%lx: ", indent, level, i, va);
        if (!is_leaf(entry, level)) {
            kprintf("table 0x%lx\n", pte_address(entry));
            print_table(pte_address(entry), level - 1, va);
            continue;
        }
        kprintf("%s page 0x%lx r%c%c%c\n", sizes[level], pte_address(entry),
                (entry & PTE_WRITABLE) ? 'w' : '-', (entry & PTE_NO_EXECUTE) ? '-' : 'x',
                (entry & PTE_USER) ? 'u' : '-');
    }
}

void pt_print(phys_addr_t root)
{
    kprintf("page table 0x%lx\n", root);
    print_table(root, 4, 0);
}
