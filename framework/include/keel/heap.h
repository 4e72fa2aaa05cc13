/* The kernel heap: kmalloc and kfree, built on frame_alloc, so it runs on
 * whichever frame allocator is installed.
 *
 * Small blocks (up to 2048 bytes) come from size classes carved out of
 * single frames; larger ones get a block of frames of their own. Every block
 * has a header and a guard zone after it: kfree reports a double free, a
 * free of a pointer kmalloc never returned, and a write past the end of the
 * block (with where the block was allocated). Freed blocks are filled with
 * HEAP_POISON_BYTE; in a checked build (CHECKED=1) kmalloc checks that
 * pattern when reusing a block, so a write after free is reported. */
#ifndef KEEL_HEAP_H
#define KEEL_HEAP_H

#include <keel/types.h>

/* The fill of freed blocks, and of the guard zone after each block (kfree
 * reports a guard byte that changed as a heap overflow). */
#define HEAP_POISON_BYTE 0x6b
#define HEAP_GUARD_BYTE  0xfd

/* Allocate `size` bytes, 16-byte aligned; NULL when memory is exhausted.
 * kmalloc(0) returns a unique pointer that may be passed to kfree. The
 * contents are not zeroed. Kernel context (takes no sleeping locks). */
void *kmalloc(size_t size);

/* kmalloc, then zero the block. */
void *kzalloc(size_t size);

/* Free a block from kmalloc; NULL does nothing. Misuse is reported as a bug. */
void kfree(void *ptr);

/* The size that was asked of kmalloc for `ptr`. */
size_t kmalloc_size(const void *ptr);

#endif
