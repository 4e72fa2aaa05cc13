/* Physical memory: addresses, the direct map and per-frame bookkeeping.
 *
 * After boot, every byte of RAM is mapped at one fixed offset from its
 * physical address (the direct map), so the kernel reaches any frame with
 * phys_to_virt(). (In the kernel's page tables the direct map starts at
 * 0xffff800000000000 on every platform, as on a PC.) Every 4 KiB frame below
 * the highest RAM address has a struct page recording what it is used for. */
#ifndef KEEL_MM_H
#define KEEL_MM_H

#include <keel/types.h>

/* The size of a frame and of a page (4 KiB), and its log2. */
#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ul << PAGE_SHIFT)

/* What a frame is used for. */
enum page_state {
    PAGE_NOT_RAM = 0,       /* a hole or device memory: no frame here */
    PAGE_FREE,              /* usable RAM not handed out to anybody */
    PAGE_RESERVED_FIRMWARE, /* the memory map says it is not usable */
    PAGE_KERNEL_IMAGE,      /* the kernel's code and data */
    PAGE_FRAMEWORK,         /* page tables, page array and other framework data */
    PAGE_BOOT_DATA,         /* boot loader data: information block, modules */
    PAGE_ALLOCATED,         /* handed out by a frame allocator */
};

/* One per 4 KiB frame. The framework owns `state`, `block_order` and
 * `site`; a frame allocator (lab 2) owns the rest and must keep all its
 * bookkeeping here, never inside free frames: the framework fills free
 * frames with a poison pattern. */
struct page {
    uint8_t state;       /* enum page_state (framework) */
    uint8_t block_order; /* framework: order of the allocated block this frame heads */
    uint8_t order;       /* allocator: free for its use, e.g. the order of a free block */
    uint8_t flags;       /* allocator: free for its use */
    uint32_t refcount;   /* allocator and later labs: free for their use */
    struct page *next;   /* allocator: free-list links */
    struct page *prev;
    uintptr_t site; /* framework: where the block was last allocated or freed */
};

/* The virtual address through which physical address `pa` is reached. The
 * address must be RAM (or the result is a fault waiting to happen). */
void *phys_to_virt(phys_addr_t pa);

/* The physical address behind direct-map or kernel-image address `va`.
 * Panics on any other address, naming it. */
phys_addr_t virt_to_phys(const void *va);

/* The struct page for frame number `pfn`, or NULL if it is beyond the highest
 * RAM frame. */
struct page *pfn_to_page(uint64_t pfn);

/* The struct page for the frame containing physical address `pa`, or NULL. */
struct page *phys_to_page(phys_addr_t pa);

/* Inverse of pfn_to_page. */
uint64_t page_to_pfn(const struct page *page);

/* Number of frames covered by the page array (highest RAM frame + 1). */
uint64_t mm_frame_count(void);

/* Number of frames in state `state`. O(frames); meant for reports and tests. */
uint64_t mm_count_frames(enum page_state state);

/* The name of a page state, e.g. "free", "kernel image". */
const char *page_state_name(enum page_state state);

/* Take one free frame from the framework's boot-time allocator (frames above
 * the kernel, in address order), mark it PAGE_FRAMEWORK and zero it. For the
 * framework and early boot code; labs use their own allocators. Panics when
 * memory is exhausted. Kernel context. */
phys_addr_t mm_early_alloc_frame(void);

/* Physical extent of the kernel image (first byte, one past last byte). */
phys_addr_t mm_kernel_start(void);
/* See mm_kernel_start. */
phys_addr_t mm_kernel_end(void);

#endif
