/* The kernel heap (see <keel/heap.h>).
 *
 * Layout of every block: [header 32 bytes][the caller's bytes][guard 16
 * bytes]. Size-class slots live in frames carved up on demand and are kept
 * on a free list per class; slab frames are never returned to the frame
 * allocator (the heap is small), and the first MAX_SLABS are remembered so
 * heap_check_all can look for damage. Large blocks are whole frame blocks. */
#include <keel/cpu.h>
#include <keel/frame.h>
#include <keel/heap.h>
#include <keel/kprintf.h>
#include <keel/mm.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/symbols.h>

#include "internal.h"

#define CALLER      ((uintptr_t)__builtin_return_address(0))
#define MAGIC_LIVE  0x4b48454cu /* "LEHK" */
#define MAGIC_FREE  0x4b46524bu
#define GUARD_SIZE  16
#define LARGE       0xffffu
#define CLASS_COUNT 8

struct header {
    uint32_t magic;
    uint16_t class_index; /* LARGE for frame-block allocations */
    uint8_t order;        /* frame order of a large block */
    uint8_t kind;         /* enum heap_kind, for the leak check */
    uint32_t size;        /* what the caller asked for */
    uint32_t serial;      /* alloc_serial when it was allocated */
    uintptr_t site;       /* where it was allocated, or freed */
    struct header *next_free;
};

_Static_assert(sizeof(struct header) == 32, "header keeps payloads 16-byte aligned");

static const uint32_t class_sizes[CLASS_COUNT] = {16, 32, 64, 128, 256, 512, 1024, 2048};
static struct header *free_lists[CLASS_COUNT];

uint64_t heap_live_blocks[HEAP_KIND_COUNT];

#define MAX_SLABS 512
static struct {
    uint8_t *frame;
    unsigned class_index;
} slabs[MAX_SLABS];
static unsigned slab_count;

static uint8_t *payload(struct header *h)
{
    return (uint8_t *)(h + 1);
}

static size_t slot_size(unsigned index)
{
    return KEEL_ALIGN_UP(sizeof(struct header) + class_sizes[index] + GUARD_SIZE, 16);
}

/* Carve a fresh frame into slots of class `index`. */
static bool refill(unsigned index)
{
    phys_addr_t pa = frame_alloc_as(0, FRAME_KIND_HEAP_SLAB, CALLER, false);
    if (!pa)
        return false;
    size_t slot = slot_size(index);
    uint8_t *frame = phys_to_virt(pa);
    if (slab_count < MAX_SLABS) {
        slabs[slab_count].frame = frame;
        slabs[slab_count++].class_index = index;
    }
    for (size_t offset = 0; offset + slot <= PAGE_SIZE; offset += slot) {
        struct header *h = (struct header *)(frame + offset);
        memset(h, 0, sizeof(*h));
        h->magic = MAGIC_FREE;
        h->class_index = (uint16_t)index;
        memset(payload(h), HEAP_POISON_BYTE, class_sizes[index]);
        platform_memory_poison(payload(h), slot - sizeof(*h));
        h->next_free = free_lists[index];
        free_lists[index] = h;
    }
    return true;
}

/* The caller's bytes are live; the guard and any slack after it are not. */
static void finish(struct header *h, size_t size, size_t room, uintptr_t caller,
                   enum heap_kind kind)
{
    h->magic = MAGIC_LIVE;
    h->size = (uint32_t)size;
    h->site = caller;
    h->next_free = NULL;
    h->kind = (uint8_t)kind;
    bool irq = cpu_irq_save();
    h->serial = ++alloc_serial;
    heap_live_blocks[kind]++;
    cpu_irq_restore(irq);
    platform_memory_unpoison(payload(h), size + GUARD_SIZE);
    memset(payload(h) + size, HEAP_GUARD_BYTE, GUARD_SIZE);
    platform_memory_poison(payload(h) + size, room - size);
}

static void *allocate(size_t size, uintptr_t caller, enum heap_kind kind)
{
    if (size > (1ul << 30))
        return NULL;
    unsigned index = 0;
    while (index < CLASS_COUNT && class_sizes[index] < size)
        index++;
    if (index == CLASS_COUNT) {
        size_t total = sizeof(struct header) + size + GUARD_SIZE;
        unsigned order = 0;
        while ((PAGE_SIZE << order) < total)
            order++;
        if (order > FRAME_MAX_ORDER)
            return NULL;
        phys_addr_t pa = frame_alloc_as(order, FRAME_KIND_HEAP_LARGE, caller, false);
        if (!pa)
            return NULL;
        struct header *h = phys_to_virt(pa);
        h->class_index = LARGE;
        h->order = (uint8_t)order;
        finish(h, size, (PAGE_SIZE << order) - sizeof(*h), caller, kind);
        return payload(h);
    }
    bool irq = cpu_irq_save();
    if (!free_lists[index] && !refill(index)) {
        cpu_irq_restore(irq);
        return NULL;
    }
    struct header *h = free_lists[index];
    free_lists[index] = h->next_free;
    cpu_irq_restore(irq);
    if (h->magic != MAGIC_FREE)
        keel_report_bug(caller,
                        "the kernel heap's free list is corrupt at %p (a write after "
                        "free, or an overflow from the block before it)",
                        (void *)payload(h));
    platform_memory_unpoison(payload(h), class_sizes[index]);
#ifdef KEEL_CHECKED
    for (size_t i = 0; i < class_sizes[index]; i++) {
        if (payload(h)[i] != HEAP_POISON_BYTE) {
            char freed[160];
            keel_report_bug(caller,
                            "heap block %p was written after it was freed (byte %#x at "
                            "offset %zu); it was freed in %s",
                            (void *)payload(h), payload(h)[i], i,
                            symbol_describe(h->site, freed, sizeof(freed)));
        }
    }
#endif
    finish(h, size, class_sizes[index] + GUARD_SIZE, caller, kind);
    return payload(h);
}

void *kmalloc(size_t size)
{
    return allocate(size, CALLER, HEAP_KIND_LAB);
}

void *kzalloc(size_t size)
{
    void *p = allocate(size, CALLER, HEAP_KIND_LAB);
    if (p)
        memset(p, 0, size);
    return p;
}

void *heap_alloc_as(size_t size, enum heap_kind kind, uintptr_t site)
{
    void *p = allocate(size, site, kind);
    if (p)
        memset(p, 0, size);
    return p;
}

static struct header *header_of(const void *ptr, uintptr_t caller, const char *what)
{
    struct header *h = (struct header *)ptr - 1;
    if ((uintptr_t)ptr % 16 != 0 || (uintptr_t)ptr < platform_direct_map_base)
        keel_report_bug(caller, "%s(%p): not a pointer kmalloc returned", what, ptr);
    return h;
}

size_t kmalloc_size(const void *ptr)
{
    struct header *h = header_of(ptr, CALLER, "kmalloc_size");
    if (h->magic != MAGIC_LIVE)
        keel_report_bug(CALLER, "kmalloc_size(%p): not a live heap block", ptr);
    return h->size;
}

void kfree(void *ptr)
{
    uintptr_t caller = CALLER;
    if (!ptr)
        return;
    struct header *h = header_of(ptr, caller, "kfree");
    char where[160];
    if (h->magic == MAGIC_FREE)
        keel_report_bug(caller, "double kfree of %p: it was already freed in %s", ptr,
                        symbol_describe(h->site, where, sizeof(where)));
    if (h->magic != MAGIC_LIVE)
        keel_report_bug(caller,
                        "kfree(%p): not a block kmalloc returned (or its header was "
                        "overwritten by the block before it)",
                        ptr);
    platform_memory_unpoison(payload(h) + h->size, GUARD_SIZE);
    for (size_t i = 0; i < GUARD_SIZE; i++)
        if (payload(h)[h->size + i] != HEAP_GUARD_BYTE)
            keel_report_bug(caller,
                            "heap overflow: something wrote past the end of the %u-byte "
                            "block at %p (byte %zu after its end is %#x); it was allocated in %s",
                            h->size, ptr, i, payload(h)[h->size + i],
                            symbol_describe(h->site, where, sizeof(where)));
    if (h->kind >= HEAP_KIND_COUNT)
        keel_report_bug(caller, "kfree(%p): the block's header was overwritten", ptr);
    bool irq = cpu_irq_save();
    heap_live_blocks[h->kind]--;
    cpu_irq_restore(irq);
    if (h->class_index == LARGE) {
        h->magic = MAGIC_FREE;
        platform_memory_unpoison(h, PAGE_SIZE << h->order);
        frame_free(virt_to_phys(h), h->order);
        return;
    }
    platform_memory_unpoison(payload(h), class_sizes[h->class_index]);
    memset(payload(h), HEAP_POISON_BYTE, class_sizes[h->class_index]);
    platform_memory_poison(payload(h), class_sizes[h->class_index] + GUARD_SIZE);
    h->magic = MAGIC_FREE;
    h->site = caller;
    irq = cpu_irq_save();
    h->next_free = free_lists[h->class_index];
    free_lists[h->class_index] = h;
    cpu_irq_restore(irq);
}

/* The guard after a live block: intact, or the offset of the first changed byte. */
static bool guard_intact(struct header *h, size_t *changed)
{
    bool intact = true;
    platform_memory_unpoison(payload(h) + h->size, GUARD_SIZE);
    for (size_t i = 0; i < GUARD_SIZE && intact; i++) {
        if (payload(h)[h->size + i] != HEAP_GUARD_BYTE) {
            *changed = i;
            intact = false;
        }
    }
    platform_memory_poison(payload(h) + h->size, GUARD_SIZE);
    return intact;
}

void heap_check_all(uintptr_t caller)
{
    char where[160];
    for (unsigned s = 0; s < slab_count; s++) {
        size_t slot = slot_size(slabs[s].class_index);
        for (size_t offset = 0; offset + slot <= PAGE_SIZE; offset += slot) {
            struct header *h = (struct header *)(slabs[s].frame + offset);
            size_t changed;
            if (h->magic != MAGIC_LIVE && h->magic != MAGIC_FREE)
                keel_report_bug(caller,
                                "the kernel heap is damaged: the header of the block at %p was "
                                "overwritten by the block before it (a heap overflow)",
                                (void *)payload(h));
            if (h->magic == MAGIC_LIVE && !guard_intact(h, &changed))
                keel_report_bug(caller,
                                "heap overflow: something wrote past the end of the %u-byte "
                                "block at %p (byte %zu after its end is %#x); it was allocated "
                                "in %s",
                                h->size, (void *)payload(h), changed, payload(h)[h->size + changed],
                                symbol_describe(h->site, where, sizeof(where)));
        }
    }
}

/* Live blocks allocated after `since` (serials wrap around). */
static bool live_since(const struct header *h, uint32_t since)
{
    return h->magic == MAGIC_LIVE && (int32_t)(h->serial - since) > 0;
}

void heap_for_each_since(uint32_t since,
                         void (*visit)(void *block, size_t size, enum heap_kind kind,
                                       uintptr_t site, void *context),
                         void *context)
{
    /* Every heap frame, not just the slabs[] heap_check_all knows: the
     * frame records say which frames are the heap's. */
    for (uint64_t pfn = 0; pfn < mm_frame_count(); pfn++) {
        struct page *page = pfn_to_page(pfn);
        const struct frame_record *record = frame_record_of(pfn);
        if (page->state != PAGE_ALLOCATED || page->block_order == 0)
            continue;
        uint8_t *frame = phys_to_virt(pfn << PAGE_SHIFT);
        if (record->kind == FRAME_KIND_HEAP_LARGE) {
            struct header *h = (struct header *)frame;
            if (live_since(h, since))
                visit(payload(h), h->size, (enum heap_kind)h->kind, h->site, context);
        } else if (record->kind == FRAME_KIND_HEAP_SLAB) {
            unsigned index = ((struct header *)frame)->class_index;
            if (index >= CLASS_COUNT) /* overwritten: heap_check_all's to report */
                continue;
            size_t slot = slot_size(index);
            for (size_t offset = 0; offset + slot <= PAGE_SIZE; offset += slot) {
                struct header *h = (struct header *)(frame + offset);
                if (live_since(h, since))
                    visit(payload(h), h->size, (enum heap_kind)h->kind, h->site, context);
            }
        }
    }
}
