/* Address spaces and the TLB (loading and creating top-level tables, walking
 * them), and the checked calls into a lab's page-table code: vm_map and its
 * siblings check the arguments, call the installed page_table_ops, then read
 * the tables back to catch a mapping that is not what was asked for (see
 * <keel/paging.h>). */
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/frame.h>
#include <keel/kprintf.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/symbols.h>

#include "../../core/internal.h"

#define CALLER ((uintptr_t)__builtin_return_address(0))

static const struct page_table_ops *ops;

phys_addr_t paging_kernel_root(void)
{
    return kernel_root_table;
}

phys_addr_t paging_current_root(void)
{
    return cpu_read_cr3() & PTE_ADDRESS_MASK;
}

void paging_switch(phys_addr_t root)
{
    cpu_write_cr3(root);
}

void tlb_flush_page(uintptr_t va)
{
    cpu_invlpg(va);
}

void tlb_flush_all(void)
{
    cpu_write_cr3(cpu_read_cr3());
}

phys_addr_t paging_new_root(void)
{
    phys_addr_t root = frame_alloc_as(0, FRAME_KIND_PAGE_TABLE, CALLER, true);
    if (!root)
        return 0;
    memcpy(pt_table(root) + PT_ENTRIES / 2, pt_table(kernel_root_table) + PT_ENTRIES / 2,
           PT_ENTRIES / 2 * sizeof(pte_t));
    return root;
}

pte_t paging_lookup(phys_addr_t root, uintptr_t va, int *level_out)
{
    phys_addr_t table = root;
    for (int level = 4; level >= 1; level--) {
        pte_t entry = pt_table(table)[pt_index(va, level)];
        if (!pte_present(entry))
            return 0;
        if (level == 1 || (level <= 3 && (entry & PTE_HUGE))) {
            if (level_out)
                *level_out = level;
            return entry;
        }
        /* Never into a freed (poisoned) frame or past RAM: the vm_* checks
         * report such a link; a lookup only says "not mapped". */
        struct page *next = phys_to_page(pte_address(entry));
        if (!next || next->state == PAGE_NOT_RAM || next->state == PAGE_FREE)
            return 0;
        table = pte_address(entry);
    }
    return 0;
}

void page_table_ops_install(const struct page_table_ops *new_ops)
{
    kassert(new_ops && new_ops->map && new_ops->unmap && new_ops->translate && new_ops->walk);
    ops = new_ops;
}

const struct page_table_ops *page_table_ops_current(void)
{
    return ops;
}

/* Where the framework's own walk of an address ended, for the checks below
 * and their reports. Unlike paging_lookup, it never reads a table in a frame
 * that is free (frame_free poisoned it) or outside RAM: it stops at the entry
 * that links one. */
struct walk_end {
    pte_t entry;       /* the last entry read */
    int level;         /* its level, 4 (top) to 1 */
    unsigned index;    /* its index in its table */
    phys_addr_t table; /* the table it is in */
    enum { WALK_NOT_PRESENT, WALK_MAPS, WALK_FREED_TABLE, WALK_OUTSIDE_RAM } how;
};

static struct walk_end walk(phys_addr_t root, uintptr_t va)
{
    struct walk_end end = {.table = root, .how = WALK_NOT_PRESENT};
    for (end.level = 4;; end.level--) {
        end.index = pt_index(va, end.level);
        end.entry = pt_table(end.table)[end.index];
        if (!pte_present(end.entry))
            return end;
        if (end.level == 1 || (end.level <= 3 && (end.entry & PTE_HUGE))) {
            end.how = WALK_MAPS;
            return end;
        }
        struct page *next = phys_to_page(pte_address(end.entry));
        if (!next || next->state == PAGE_NOT_RAM) {
            end.how = WALK_OUTSIDE_RAM;
            return end;
        }
        if (next->state == PAGE_FREE) {
            end.how = WALK_FREED_TABLE;
            return end;
        }
        end.table = pte_address(end.entry);
    }
}

/* `end` in words, into `buf`. */
static const char *describe_walk(const struct walk_end *end, char *buf, size_t size)
{
    char freed[128];
    int n = ksnprintf(buf, size, "the level-%d entry (index %u of table %#lx) is %#lx", end->level,
                      end->index, end->table, end->entry);
    size_t used = n < 0 ? 0 : ((size_t)n < size ? (size_t)n : size - 1);
    switch (end->how) {
    case WALK_NOT_PRESENT:
        ksnprintf(buf, size,
                  "the framework's walk stopped at level %d: entry %u of the level-%d table at "
                  "%#lx is %#lx, not present",
                  end->level, end->index, end->level, end->table, end->entry);
        break;
    case WALK_MAPS:
        break;
    case WALK_FREED_TABLE:
        ksnprintf(
            buf + used, size - used, " and links the level-%d table at %#lx, freed in %s",
            end->level - 1, pte_address(end->entry),
            symbol_describe(phys_to_page(pte_address(end->entry))->site, freed, sizeof(freed)));
        break;
    case WALK_OUTSIDE_RAM:
        ksnprintf(buf + used, size - used,
                  ", which links a level-%d table at %#lx: not RAM (a corrupt entry?)",
                  end->level - 1, pte_address(end->entry));
        break;
    }
    return buf;
}

static void need_ops(uintptr_t caller)
{
    if (!ops)
        keel_report_bug(caller, "vm_* called but no page-table code is installed "
                                "(page_table_ops_install)");
}

static void check_arguments(uintptr_t caller, const char *what, uintptr_t va)
{
    if (va % PAGE_SIZE || !va_is_canonical(va))
        keel_report_bug(caller, "%s(%#lx): the address must be page aligned and canonical", what,
                        va);
}

static bool is_ram(phys_addr_t pa)
{
    struct page *page = phys_to_page(pa);
    return page && page->state != PAGE_NOT_RAM;
}

/* Every level above the entry must allow what the entry allows, or the CPU
 * refuses the access anyway. */
static void check_upper_levels(uintptr_t caller, phys_addr_t root, uintptr_t va, uint64_t flags)
{
    phys_addr_t table = root;
    for (int level = 4; level > 1; level--) {
        pte_t entry = pt_table(table)[pt_index(va, level)];
        if ((flags & PTE_USER) && !(entry & PTE_USER))
            keel_report_bug(caller,
                            "page-table code '%s' mapped user page %#lx, but the level-%d "
                            "table entry above it (%#lx) lacks PTE_USER: user code could not reach "
                            "it",
                            ops->name, va, level, entry);
        if ((flags & PTE_WRITABLE) && !(entry & PTE_WRITABLE))
            keel_report_bug(caller,
                            "page-table code '%s' mapped %#lx writable, but the level-%d "
                            "table entry above it (%#lx) is read-only",
                            ops->name, va, level, entry);
        table = pte_address(entry);
    }
}

/* A copy-on-write page is read-only until its fault copies it: writable,
 * its writes would reach every sharer. */
static void check_cow(uintptr_t caller, const char *what, uintptr_t va, uint64_t flags)
{
    if ((flags & PTE_COW) && (flags & PTE_WRITABLE))
        keel_report_bug(caller,
                        "%s(%#lx): flags %#lx say both PTE_COW and PTE_WRITABLE: a copy-on-write "
                        "page must be read-only, or writes reach every process that shares it",
                        what, va, flags);
}

int vm_map(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags)
{
    uintptr_t caller = CALLER;
    need_ops(caller);
    check_arguments(caller, "vm_map", va);
    if (pa % PAGE_SIZE)
        keel_report_bug(caller, "vm_map(%#lx, %#lx): the physical address must be page aligned", va,
                        pa);
    if (flags & ~PTE_MAP_FLAGS)
        keel_report_bug(caller,
                        "vm_map(%#lx): flags %#lx include bits vm_map does not take (use "
                        "PTE_WRITABLE, PTE_USER, PTE_NO_EXECUTE, PTE_CACHE_DISABLE, PTE_GLOBAL, "
                        "PTE_COW)",
                        va, flags);
    check_cow(caller, "vm_map", va, flags);
    if (!is_ram(pa) && !(flags & PTE_CACHE_DISABLE))
        keel_report_bug(caller,
                        "vm_map(%#lx → %#lx): that physical address is not RAM (map "
                        "device memory with PTE_CACHE_DISABLE)",
                        va, pa);
    if (flags & PTE_USER) {
        if (va >= USER_SPACE_END)
            keel_report_bug(caller,
                            "vm_map(%#lx): a user mapping in the kernel half of the "
                            "address space",
                            va);
        struct page *page = phys_to_page(pa);
        if (page && page->state != PAGE_ALLOCATED && page->state != PAGE_NOT_RAM)
            keel_report_bug(caller,
                            "vm_map(%#lx → %#lx, PTE_USER): that frame is %s; mapping it "
                            "into user space would hand the kernel's memory to user programs",
                            va, pa, page_state_name((enum page_state)page->state));
    }
    /* What the page-table code allocates meanwhile is page tables (for the
     * leak check's report). */
    enum frame_kind kind = frame_kind_set_default(FRAME_KIND_PAGE_TABLE);
    int result = ops->map(root, va, pa, flags);
    frame_kind_set_default(kind);
    if (result < 0)
        return result;
    struct walk_end end = walk(root, va);
    uint64_t checked = PTE_PRESENT | PTE_WRITABLE | PTE_USER | PTE_NO_EXECUTE | PTE_COW;
    if (end.how != WALK_MAPS || end.level != 1 || pte_address(end.entry) != pa ||
        (end.entry & checked) != ((flags | PTE_PRESENT) & checked)) {
        char found[256];
        keel_report_bug(caller,
                        "page-table code '%s' did not install the mapping asked for: "
                        "%#lx should map %#lx with flags %#lx; %s",
                        ops->name, va, pa, (flags | PTE_PRESENT) & checked,
                        describe_walk(&end, found, sizeof(found)));
    }
    check_upper_levels(caller, root, va, flags);
    return 0;
}

int vm_unmap(phys_addr_t root, uintptr_t va)
{
    uintptr_t caller = CALLER;
    need_ops(caller);
    check_arguments(caller, "vm_unmap", va);
    int result = ops->unmap(root, va);
    if (result != 0)
        return result;
    /* A table freed while its parent still links it is poison to the next
     * walk (the CPU's or the code's): say so rather than walk into it. */
    struct walk_end end = walk(root, va);
    char found[256];
    if (end.how == WALK_FREED_TABLE)
        keel_report_bug(caller,
                        "page-table code '%s' freed a table still linked from its parent "
                        "(unmapping %#lx): %s. Clear the parent's entry first",
                        ops->name, va, describe_walk(&end, found, sizeof(found)));
    if (end.how != WALK_NOT_PRESENT)
        keel_report_bug(caller,
                        "page-table code '%s' reported %#lx unmapped, but the page tables "
                        "still map it: %s",
                        ops->name, va, describe_walk(&end, found, sizeof(found)));
    return 0;
}

int vm_protect(phys_addr_t root, uintptr_t va, uint64_t flags)
{
    uintptr_t caller = CALLER;
    need_ops(caller);
    check_arguments(caller, "vm_protect", va);
    if (!ops->protect)
        keel_report_bug(caller, "page-table code '%s' has no protect operation", ops->name);
    check_cow(caller, "vm_protect", va, flags);
    int result = ops->protect(root, va, flags);
    if (result < 0)
        return result;
    pte_t entry = paging_lookup(root, va, NULL);
    uint64_t checked = PTE_WRITABLE | PTE_USER | PTE_NO_EXECUTE | PTE_COW;
    if (!pte_present(entry) || (entry & checked) != (flags & checked))
        keel_report_bug(caller,
                        "page-table code '%s' did not change the flags of %#lx to %#lx: "
                        "the entry is %#lx",
                        ops->name, va, flags & checked, entry);
    return 0;
}

bool vm_translate(phys_addr_t root, uintptr_t va, phys_addr_t *pa_out)
{
    need_ops(CALLER);
    return ops->translate(root, va, pa_out);
}
