/* Physical frame allocation.
 *
 * A frame allocator (lab 2's buddy allocator, or the framework's simple boot
 * allocator until one is installed) plugs in through struct frame_allocator.
 * Everybody else calls frame_alloc / frame_free, which check what the
 * allocator does: a block handed out twice, a reserved frame (kernel image,
 * page tables, firmware) handed out, a misaligned or out-of-range block, a
 * double free, a free of a frame never allocated, a free with the wrong
 * size. Each is reported as a bug with the caller and a backtrace. Freed
 * frames are filled with FRAME_POISON_BYTE; in a checked build (CHECKED=1)
 * frame_alloc also verifies the poison, so a write after free is reported. */
#ifndef KEEL_FRAME_H
#define KEEL_FRAME_H

#include <keel/mm.h>
#include <keel/types.h>

/* Blocks are 2^order frames, order 0 (4 KiB) to FRAME_MAX_ORDER (4 MiB). */
#define FRAME_MAX_ORDER   10
#define FRAME_POISON_BYTE 0x6b

/* A frame allocator's operations, called only by frame_alloc, frame_free and
 * frame_free_count, which check every answer. The allocator owns the struct;
 * it must stay valid while installed. Called with interrupts as the caller
 * left them: an allocator must not sleep. */
struct frame_allocator {
    const char *name;
    /* Take charge of every frame whose page state is PAGE_FREE (walk
     * pfn_to_page(0 … mm_frame_count() - 1)). Called once, by
     * frame_allocator_install. */
    void (*init)(void);
    /* Return the physical address of a free block of 2^order frames, aligned
     * to its own size, or 0 if there is none. Must not touch page->state. */
    phys_addr_t (*alloc)(unsigned order);
    /* Take back a block that alloc returned, with the same order. */
    void (*free)(phys_addr_t block, unsigned order);
    /* Number of free frames it holds (for statistics and tests). */
    uint64_t (*free_frames)(void);
};

/* Make `allocator` the one frame_alloc uses (NULL: the framework's boot
 * allocator again), and call its init. Blocks still
 * allocated from the previous allocator stay valid but must not be freed
 * through the new one (frame_free reports that). Kernel context. */
void frame_allocator_install(const struct frame_allocator *allocator);

/* The framework's own first-fit allocator, in use until another is installed. */
const struct frame_allocator *frame_boot_allocator(void);

/* The allocator in use (the framework's boot allocator until one is installed). */
const struct frame_allocator *frame_allocator_current(void);

/* Allocate 2^order contiguous frames; returns the physical address of the
 * first, or 0 when memory is exhausted (never panics for that). The contents
 * are the poison pattern, not zeros. Kernel context. */
phys_addr_t frame_alloc(unsigned order);

/* frame_alloc, then fill the block with zeros. */
phys_addr_t frame_alloc_zeroed(unsigned order);

/* Free a block from frame_alloc; `order` must be the one it was allocated
 * with. Any misuse is reported as a bug and stops the kernel. */
void frame_free(phys_addr_t block, unsigned order);

/* Shared frames (copy-on-write fork): a frame from frame_alloc(0) starts
 * with one owner; frame_ref adds one (another address space maps it too),
 * frame_unref removes one and frees the frame when the last owner lets go.
 * frame_free of a frame that still has more than one owner, frame_ref of a
 * free frame (a use after free) and an unref too many (a double free) are
 * reported as bugs with the caller. Order-0 frames only. Kernel context. */
void frame_ref(phys_addr_t frame);
/* See frame_ref. Frees the frame (frame_free) if the caller was its last owner. */
void frame_unref(phys_addr_t frame);
/* How many owners the allocated order-0 frame has (1 unless frame_ref was
 * called); 0 for a frame that is not allocated. */
unsigned frame_refcount(phys_addr_t frame);

/* Free frames according to the allocator in use (0 if it cannot tell). */
uint64_t frame_free_count(void);

/* Whether frame_alloc verifies the poison of blocks it hands out. */
bool frame_checks_poison(void);

#endif
