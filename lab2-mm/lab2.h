/* Lab 2: what you implement, and what the tests expect of it.
 *   buddy.c      a buddy allocator for physical frames
 *   pagetable.c  four-level x86_64 page tables
 * Read lab2-mm/README.md first. The framework checks everything your code
 * hands back (through frame_alloc / vm_map), so a bug is reported where it
 * happens, with a backtrace, instead of corrupting memory later. */
#ifndef LAB2_H
#define LAB2_H

#include <keel/errno.h>
#include <keel/frame.h>
#include <keel/keel.h>
#include <keel/paging.h>

/* ---- Part 1: buddy.c ------------------------------------------------------
 * Free blocks of 2^k frames (k = 0 … FRAME_MAX_ORDER), aligned to their size,
 * kept on one list per order. All bookkeeping lives in struct page (fields
 * order, flags, next, prev: see <keel/mm.h>), never inside the free frames:
 * the framework fills those with a poison pattern. Never change page->state;
 * frame_alloc / frame_free do that. */

/* Take every frame whose page state is PAGE_FREE, as the largest aligned
 * blocks that fit. */
void buddy_init(void);

/* A free block of 2^order frames: take it from the list of that order, or
 * split a larger block (the unused halves go on the lists below it). Returns
 * its physical address, or 0 if there is no block large enough. */
phys_addr_t buddy_alloc(unsigned order);

/* Return a block; while its buddy (the block it was split from, at address
 * block ^ (PAGE_SIZE << order)) is free and of the same order, merge them. */
void buddy_free(phys_addr_t block, unsigned order);

/* Frames currently free. */
uint64_t buddy_free_frames(void);

/* How many free blocks each order's list holds. */
struct buddy_stats {
    uint64_t free_blocks[FRAME_MAX_ORDER + 1];
};

/* Fill `stats` from the free lists. */
void buddy_get_stats(struct buddy_stats *stats);

/* The four functions above, as the framework's frame-allocator interface
 * (defined in ops.c; install with frame_allocator_install). */
extern const struct frame_allocator buddy_allocator;

/* ---- Part 2: pagetable.c --------------------------------------------------
 * `root` is the physical address of a top-level table (PML4). Reach any
 * table through pt_table(phys); get new tables from frame_alloc_zeroed(0).
 * Intermediate entries get PTE_PRESENT | PTE_WRITABLE | PTE_USER, so the
 * last-level entry alone decides the permissions. */

/* The level-1 entry for `va`, creating the tables on the way if `create`.
 * NULL if a table is missing and !create, or if memory runs out. */
pte_t *pt_walk(phys_addr_t root, uintptr_t va, bool create);

/* Map page `va` to frame `pa` with `flags` (PTE_WRITABLE, PTE_USER,
 * PTE_NO_EXECUTE, …; PTE_PRESENT is added). -EEXIST if `va` is mapped,
 * -ENOMEM if a table cannot be allocated. */
int pt_map(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags);

/* Remove the mapping of `va` (the frame itself is not freed). Free every
 * table the removal leaves empty (but never the top-level one). If `root` is
 * the active address space, flush the TLB entry. -ENOENT if not mapped. */
int pt_unmap(phys_addr_t root, uintptr_t va);

/* The physical address `va` maps to (page offset included). */
bool pt_translate(phys_addr_t root, uintptr_t va, phys_addr_t *pa_out);

/* Give the mapping of `va` the permission `flags` instead (same frame);
 * flush the TLB entry if `root` is active. -ENOENT if not mapped. */
int pt_protect(phys_addr_t root, uintptr_t va, uint64_t flags);

/* The five functions above, as the framework's page-table interface
 * (defined in ops.c; install with page_table_ops_install). */
extern const struct page_table_ops lab2_page_tables;

/* ---- Challenge part: 2 MiB pages and a page-table dump (pagetable.c) -------
 * A level-2 entry with PTE_HUGE (the PS bit) maps 2 MiB directly: its
 * address is that of 512 physically contiguous frames, 2 MiB aligned. The
 * Part 2 functions then also have to understand such entries:
 *   - pt_walk returns NULL for an address inside a 2 MiB page (it has no
 *     level-1 entry), and never replaces the 2 MiB entry with a table;
 *   - pt_map returns -EEXIST for a page inside a 2 MiB page;
 *   - pt_translate translates an address inside it (offset within 2 MiB);
 *   - pt_unmap and pt_protect of a 4 KiB page inside a 2 MiB page first
 *     *split* it: a new page table (frame_alloc_zeroed(0)) whose 512 entries
 *     map the same frames with the same flags (but not PTE_HUGE, which is
 *     bit 7, PAT, at level 1) replaces the 2 MiB entry; then
 *     the one page is unmapped or changed as usual. -ENOMEM if no table. */

/* Bytes mapped by one 2 MiB page (one level-2 entry with PTE_HUGE). */
#define HUGE_PAGE_SIZE (1ul << 21)

/* Map the 2 MiB page at `va` to the 2 MiB at `pa` with one level-2 entry:
 * pte_make(pa, flags | PTE_HUGE | PTE_PRESENT), `flags` as for pt_map.
 * -EINVAL if `va` or `pa` is not 2 MiB aligned; -EEXIST if anything in
 * [va, va + 2 MiB) is mapped (a 2 MiB page, or 4 KiB pages: the level-2
 * entry points at a table); -ENOMEM if a table cannot be allocated.
 * -EINVAL and -EEXIST leave the tables as they were. */
int pt_map_huge(phys_addr_t root, uintptr_t va, phys_addr_t pa, uint64_t flags);

/* Remove the 2 MiB page at `va` (the frames are not freed); free the tables
 * left empty (never the top-level one); flush the TLB entry if `root` is
 * active. -EINVAL if `va` is not 2 MiB aligned; -ENOENT if no 2 MiB page
 * maps `va` (nothing does, or 4 KiB pages do). */
int pt_unmap_huge(phys_addr_t root, uintptr_t va);

/* Give the 2 MiB page at `va` the permission `flags` instead (same frames,
 * still PTE_HUGE); flush the TLB entry if `root` is active. Errors as for
 * pt_unmap_huge. */
int pt_protect_huge(phys_addr_t root, uintptr_t va, uint64_t flags);

/* Print the user half of the address space `root` with kprintf, one line
 * per present entry, depth first in index order (the exact format is in
 * README.md, "Challenge part"). Reads the tables only. Kernel context. */
void pt_print(phys_addr_t root);

#endif
