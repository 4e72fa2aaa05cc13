/* x86_64 four-level paging: page-table entries, address spaces, the TLB, and
 * the interface page-table code (lab 2) plugs into.
 *
 * A virtual address is split into four 9-bit table indexes (PML4, PDPT, PD,
 * PT: levels 4 to 1) and a 12-bit offset. Each table is one 4 KiB frame of
 * 512 entries (pte_t), reached through the direct map (phys_to_virt).
 * Addresses from USER_SPACE_END up are the kernel's: every address space
 * shares the kernel's PML4 entries 256-511.
 *
 * vm_map / vm_unmap / vm_protect / vm_translate call the installed page-table
 * code and check what it did: a user mapping of kernel or reserved memory, a
 * present entry pointing outside RAM, or an entry that does not say what was
 * asked is reported as a bug instead of surfacing later as a mysterious
 * fault. */
#ifndef KEEL_PAGING_H
#define KEEL_PAGING_H

#include <keel/mm.h>
#include <keel/types.h>

/* A page-table entry: the physical address of a frame or of the next-level
 * table (PTE_ADDRESS_MASK) and PTE_* flags. */
typedef uint64_t pte_t;

/* Page-table entry flags (Intel SDM vol. 3, section 4.5). */
#define PTE_PRESENT       (1ul << 0)
#define PTE_WRITABLE      (1ul << 1)
#define PTE_USER          (1ul << 2)
#define PTE_WRITE_THROUGH (1ul << 3)
#define PTE_CACHE_DISABLE (1ul << 4)
#define PTE_ACCESSED      (1ul << 5)
#define PTE_DIRTY         (1ul << 6)
#define PTE_HUGE          (1ul << 7) /* in a PDPT or PD entry: maps 1 GiB or 2 MiB directly */
#define PTE_GLOBAL        (1ul << 8)
#define PTE_COW           (1ul << 9) /* ignored by the CPU: the page is shared copy-on-write */
#define PTE_NO_EXECUTE    (1ul << 63)
#define PTE_ADDRESS_MASK  0x000ffffffffff000ul
/* The flags vm_map accepts and checks. */
#define PTE_MAP_FLAGS                                                                              \
    (PTE_WRITABLE | PTE_USER | PTE_NO_EXECUTE | PTE_CACHE_DISABLE | PTE_GLOBAL | PTE_COW)

/* Entries in one table, and the first address past user space (the lower
 * half of the canonical addresses). */
#define PT_ENTRIES     512
#define USER_SPACE_END 0x0000800000000000ul

/* A lower-half address for the kernel's own experiments with a page table
 * (PML4 slot 64): nothing of the framework's is there on any platform, and
 * on the Linux platform the kernel's own reads and writes there go through
 * the emulated page tables (docs/linux.md), so a page mapped here with vm_map
 * (without PTE_USER) can be used directly after paging_switch, on a PC and
 * on Linux alike. Lab 2's demo and tests use it. */
#define PAGING_SCRATCH_ADDRESS 0x0000200000000000ul

/* The physical address an entry points to. */
static inline phys_addr_t pte_address(pte_t pte)
{
    return pte & PTE_ADDRESS_MASK;
}

/* Whether the entry's present bit is set. */
static inline bool pte_present(pte_t pte)
{
    return (pte & PTE_PRESENT) != 0;
}

/* An entry pointing at `pa` (4 KiB aligned) with `flags` (PTE_*). */
static inline pte_t pte_make(phys_addr_t pa, uint64_t flags)
{
    return (pa & PTE_ADDRESS_MASK) | flags;
}

/* The index into the table at `level` (4 = PML4 … 1 = page table) for `va`. */
static inline unsigned pt_index(uintptr_t va, int level)
{
    return (unsigned)(va >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

/* Whether `va` is canonical (bits 63..47 all equal), as the CPU requires. */
static inline bool va_is_canonical(uintptr_t va)
{
    return (uintptr_t)((intptr_t)(va << 16) >> 16) == va;
}

/* The table at physical address `pa`, through the direct map. */
static inline pte_t *pt_table(phys_addr_t pa)
{
    return (pte_t *)phys_to_virt(pa);
}

/* The kernel's own top-level table (what CR3 holds after boot). */
phys_addr_t paging_kernel_root(void);

/* A new top-level table (from frame_alloc) with the kernel half (entries
 * 256-511) shared with the kernel's and the user half empty; 0 when out of
 * memory. Free it with frame_free(root, 0) once nothing uses it (the caller
 * frees the user half's tables first). Kernel context. */
phys_addr_t paging_new_root(void);

/* The top-level table in use on this CPU (CR3). */
phys_addr_t paging_current_root(void);

/* Load `root` into CR3: switch address space (flushes non-global TLB entries). */
void paging_switch(phys_addr_t root);

/* Drop the TLB's cached translation of `va` on this CPU (invlpg). Needed after
 * changing or removing a present entry of the active address space. */
void tlb_flush_page(uintptr_t va);

/* Drop all non-global cached translations on this CPU (reload CR3). */
void tlb_flush_all(void);

/* Read-only walk by the framework: the entry that maps `va` in `root` (a
 * level-1 entry, or a huge-page entry at level 2 or 3) and its level through
 * `level_out`, or 0 if some level is not present or links a table in a frame
 * that is free (freed, so poisoned) or not RAM. Never allocates. */
pte_t paging_lookup(phys_addr_t root, uintptr_t va, int *level_out);

/* What page-table code (lab 2) provides. Every function works on the address
 * space whose top-level table is at `root`; tables come from
 * frame_alloc_zeroed(0). Errors are negative <keel/errno.h> numbers. */
struct page_table_ops {
    const char *name;
    /* The level-1 entry for `va`, creating missing tables if `create` (NULL
     * if absent and !create, or out of memory). */
    pte_t *(*walk)(phys_addr_t root, uintptr_t va, bool create);
    /* Map the page at `va` to the frame at `pa` with `flags` (PTE_MAP_FLAGS;
     * PTE_PRESENT implied). -EEXIST if `va` is already mapped, -ENOMEM. */
    int (*map)(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags);
    /* Remove the mapping of `va` (the frame is not freed); free page tables
     * left empty; flush the TLB entry if `root` is active. -ENOENT if unmapped. */
    int (*unmap)(phys_addr_t root, uintptr_t va);
    /* The physical address `va` maps to, through `pa_out`; false if unmapped. */
    bool (*translate)(phys_addr_t root, uintptr_t va, phys_addr_t *pa_out);
    /* Replace the flags of the mapping of `va`; flush the TLB entry if `root`
     * is active. -ENOENT if unmapped. */
    int (*protect)(phys_addr_t root, uintptr_t va, uint64_t flags);
};

/* Use `ops` for vm_* from now on. Kernel context. */
void page_table_ops_install(const struct page_table_ops *ops);

/* The page-table code in use, or NULL if none is installed. */
const struct page_table_ops *page_table_ops_current(void);

/* Checked calls into the installed page-table code (see above). `va` and `pa`
 * must be page aligned and `va` canonical; a user mapping (PTE_USER) must be
 * below USER_SPACE_END and of a frame that is neither kernel nor reserved.
 * Violations, by the caller or by the page-table code, are reported as bugs. */
int vm_map(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags);
/* See vm_map. */
int vm_unmap(phys_addr_t root, uintptr_t va);
/* See vm_map. */
int vm_protect(phys_addr_t root, uintptr_t va, uint64_t flags);
/* See vm_map. */
bool vm_translate(phys_addr_t root, uintptr_t va, phys_addr_t *pa_out);

#endif
