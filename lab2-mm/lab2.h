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

#endif
