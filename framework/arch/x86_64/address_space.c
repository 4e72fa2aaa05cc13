/* Address spaces and the TLB (loading and creating top-level tables, walking
 * them), and the checked calls into a lab's page-table code: vm_map and its
 * siblings check the arguments, call the installed page_table_ops, then read
 * the tables back to catch a mapping that is not what was asked for (see
 * <keel/paging.h>). */
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/frame.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/string.h>

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
    int level = 0;
    pte_t entry = paging_lookup(root, va, &level);
    uint64_t checked = PTE_PRESENT | PTE_WRITABLE | PTE_USER | PTE_NO_EXECUTE | PTE_COW;
    if (level != 1 || pte_address(entry) != pa ||
        (entry & checked) != ((flags | PTE_PRESENT) & checked))
        keel_report_bug(caller,
                        "page-table code '%s' did not install the mapping asked for: "
                        "%#lx should map %#lx with flags %#lx; the page tables say entry %#lx "
                        "(level %d)",
                        ops->name, va, pa, (flags | PTE_PRESENT) & checked, entry, level);
    check_upper_levels(caller, root, va, flags);
    return 0;
}

int vm_unmap(phys_addr_t root, uintptr_t va)
{
    uintptr_t caller = CALLER;
    need_ops(caller);
    check_arguments(caller, "vm_unmap", va);
    int result = ops->unmap(root, va);
    if (result == 0 && paging_lookup(root, va, NULL))
        keel_report_bug(caller,
                        "page-table code '%s' reported %#lx unmapped, but the page tables "
                        "still map it",
                        ops->name, va);
    return result;
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
