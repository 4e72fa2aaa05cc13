/* Checked frame allocation (see <keel/frame.h>) and the framework's boot
 * allocator, a first-fit scan of the page array used until a real frame
 * allocator is installed.
 *
 * Why the checks: the allocator (lab 2's buddy allocator) keeps its own
 * books, and a bug in them (a block handed out twice, a buddy merged
 * wrongly) shows up much later as two owners overwriting each other's data,
 * far from the cause. So the framework keeps a second, independent record in
 * the page array (state, block_order, site of each frame) and compares every
 * block the allocator hands out or takes back against it, reporting the bug
 * at the call that made it. block_order holds order + 1 in a block's first
 * frame, 0 in the frames inside it, and POISONED in frames frame_free filled
 * with the poison. Interrupts stay off while the record and the allocator's
 * books change, so an interrupt handler never sees them disagree.
 *
 * For the leak check after every test (leak.c), each block's first frame
 * record also says who holds it (enum frame_kind) and its allocation serial
 * number, and frames_live counts the frames held per kind. */
#include <keel/cpu.h>
#include <keel/frame.h>
#include <keel/kprintf.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/symbols.h>
#include <keel/thread.h>

#include "internal.h"

#define CALLER ((uintptr_t)__builtin_return_address(0))
/* block_order of a free frame that frame_free poisoned (free frames that
 * were never allocated hold whatever the firmware left there). */
#define POISONED 0xff

/* ---- the boot allocator: a block is free when all its frames are ---- */

static phys_addr_t boot_alloc(unsigned order)
{
    uint64_t count = 1ull << order, total = mm_frame_count();
    for (uint64_t pfn = 0; pfn + count <= total; pfn += count) {
        uint64_t i = 0;
        while (i < count && pfn_to_page(pfn + i)->state == PAGE_FREE)
            i++;
        if (i == count)
            return pfn << PAGE_SHIFT;
    }
    return 0;
}

static void boot_free(phys_addr_t block, unsigned order)
{
    (void)block, (void)order; /* the page states already say it is free */
}

static uint64_t boot_free_frames(void)
{
    return mm_count_frames(PAGE_FREE);
}

static void boot_init(void) {}

static const struct frame_allocator boot_allocator = {
    .name = "framework boot allocator",
    .init = boot_init,
    .alloc = boot_alloc,
    .free = boot_free,
    .free_frames = boot_free_frames,
};

static const struct frame_allocator *current = &boot_allocator;

void frame_allocator_install(const struct frame_allocator *allocator)
{
    if (!allocator)
        allocator = &boot_allocator;
    kassert(allocator->alloc && allocator->free && allocator->init);
    current = allocator;
    allocator->init();
}

const struct frame_allocator *frame_boot_allocator(void)
{
    return &boot_allocator;
}

const struct frame_allocator *frame_allocator_current(void)
{
    return current;
}

uint64_t frame_free_count(void)
{
    return current->free_frames ? current->free_frames() : 0;
}

bool frame_checks_poison(void)
{
#ifdef KEEL_CHECKED
    return true;
#else
    return false;
#endif
}

static void check_poison(phys_addr_t pa, uint64_t pfn, uintptr_t caller)
{
    const uint8_t *bytes = phys_to_virt(pa);
    for (size_t offset = 0; offset < PAGE_SIZE; offset++) {
        if (bytes[offset] != FRAME_POISON_BYTE) {
            char freed[160];
            keel_report_bug(caller,
                            "frame %#lx was written after it was freed: byte %#x at offset %#zx "
                            "(poison is %#x); it was freed in %s",
                            pa, bytes[offset], offset, FRAME_POISON_BYTE,
                            symbol_describe(pfn_to_page(pfn)->site, freed, sizeof(freed)));
        }
    }
}

uint64_t frames_live[FRAME_KIND_COUNT];
uint32_t alloc_serial;
/* The kind frame_alloc gives, while the thread that set it runs (another
 * thread preempting it meanwhile allocates as usual). */
static enum frame_kind default_kind = FRAME_KIND_LAB;
static const struct thread *default_kind_thread;

enum frame_kind frame_kind_set_default(enum frame_kind kind)
{
    enum frame_kind previous = default_kind;
    default_kind = kind;
    default_kind_thread = thread_current();
    return previous;
}

static enum frame_kind kind_for_caller(void)
{
    return default_kind_thread == thread_current() ? default_kind : FRAME_KIND_LAB;
}

static phys_addr_t checked_alloc(unsigned order, uintptr_t caller, enum frame_kind kind)
{
    /* Orders above the maximum do not fit block_order, nor any allocator. */
    if (order > FRAME_MAX_ORDER)
        keel_report_bug(caller, "frame_alloc(order %u): the largest block is order %d", order,
                        FRAME_MAX_ORDER);
    bool irq = cpu_irq_save();
    phys_addr_t pa = current->alloc(order);
    if (pa == 0) {
        cpu_irq_restore(irq);
        return 0;
    }
    uint64_t count = 1ull << order, pfn = pa >> PAGE_SHIFT;
    /* Blocks are aligned to their size: a misaligned one overlaps two blocks
     * of its order, and frame_free could not find its start. */
    if (pa % (PAGE_SIZE << order))
        keel_report_bug(caller,
                        "frame allocator '%s' returned %#lx for an order-%u block: not aligned "
                        "to the block size (%#lx bytes)",
                        current->name, pa, order, PAGE_SIZE << order);
    /* The page array ends with RAM: beyond it there is no record to check
     * or update, and no memory. */
    if (pfn + count > mm_frame_count())
        keel_report_bug(caller,
                        "frame allocator '%s' returned %#lx (order %u): beyond the end "
                        "of RAM (%#lx)",
                        current->name, pa, order, mm_frame_count() << PAGE_SHIFT);
    for (uint64_t i = 0; i < count; i++) {
        struct page *page = pfn_to_page(pfn + i);
        char where[160];
        /* Each frame has one owner at a time: a second would overwrite the
         * first one's data. */
        if (page->state == PAGE_ALLOCATED)
            keel_report_bug(caller,
                            "frame allocator '%s' handed out frame %#lx twice: it is still "
                            "allocated (allocated in %s)",
                            current->name, (pfn + i) << PAGE_SHIFT,
                            symbol_describe(page->site, where, sizeof(where)));
        /* Reserved frames (the kernel image, boot page tables, firmware) were
         * never the allocator's to give: handing one out overwrites them. */
        if (page->state != PAGE_FREE)
            keel_report_bug(caller,
                            "frame allocator '%s' handed out frame %#lx, which is not free memory "
                            "but %s",
                            current->name, (pfn + i) << PAGE_SHIFT,
                            page_state_name((enum page_state)page->state));
        platform_memory_unpoison(phys_to_virt((pfn + i) << PAGE_SHIFT), PAGE_SIZE);
        /* Nobody may write a frame between its free and its next allocation:
         * a changed poison byte is a write after free (a stale pointer).
         * Reading every byte is slow, so only checked builds do it. */
        if (frame_checks_poison() && page->block_order == POISONED)
            check_poison((pfn + i) << PAGE_SHIFT, pfn + i, caller);
    }
    /* Checked: the block is the caller's, and the record says where it was
     * allocated, for the reports of a later misuse. */
    for (uint64_t i = 0; i < count; i++) {
        struct page *page = pfn_to_page(pfn + i);
        page->state = PAGE_ALLOCATED;
        page->block_order = i == 0 ? (uint8_t)(order + 1) : 0;
        page->site = caller;
    }
    /* For the leak check: who holds the block, and since when. */
    struct frame_record *record = frame_record_of(pfn);
    record->kind = (uint8_t)kind;
    record->serial = ++alloc_serial;
    record->shares = 0;
    frames_live[kind] += count;
    cpu_irq_restore(irq);
    return pa;
}

phys_addr_t frame_alloc(unsigned order)
{
    return checked_alloc(order, CALLER, kind_for_caller());
}

phys_addr_t frame_alloc_zeroed(unsigned order)
{
    phys_addr_t pa = checked_alloc(order, CALLER, kind_for_caller());
    if (pa)
        memset(phys_to_virt(pa), 0, PAGE_SIZE << order);
    return pa;
}

phys_addr_t frame_alloc_as(unsigned order, enum frame_kind kind, uintptr_t site, bool zeroed)
{
    phys_addr_t pa = checked_alloc(order, site, kind);
    if (pa && zeroed)
        memset(phys_to_virt(pa), 0, PAGE_SIZE << order);
    return pa;
}

static void checked_free(phys_addr_t block, unsigned order, uintptr_t caller)
{
    char where[160];
    if (order > FRAME_MAX_ORDER)
        keel_report_bug(caller, "frame_free(%#lx, order %u): the largest block is order %d", block,
                        order, FRAME_MAX_ORDER);
    if (block == 0 || block % (PAGE_SIZE << order))
        keel_report_bug(caller,
                        "frame_free(%#lx, order %u): not the start of a block of that "
                        "order (blocks are aligned to their size)",
                        block, order);
    struct page *head = phys_to_page(block);
    if (!head || (block >> PAGE_SHIFT) + (1ull << order) > mm_frame_count())
        keel_report_bug(caller, "frame_free(%#lx): not a RAM frame", block);
    bool irq = cpu_irq_save();
    /* What is freed must be exactly what was allocated, once: a second
     * free, a free of memory never allocated (or reserved), a frame inside a
     * block instead of its start, or another order would each hand the
     * allocator a block that is not its to take back, or one still in use. */
    if (head->state == PAGE_FREE)
        keel_report_bug(caller, "double free of frame %#lx (order %u): it was already freed in %s",
                        block, order, symbol_describe(head->site, where, sizeof(where)));
    if (head->state != PAGE_ALLOCATED)
        keel_report_bug(caller, "frame_free of frame %#lx, which was never allocated: it is %s",
                        block, page_state_name((enum page_state)head->state));
    if (head->block_order == 0)
        keel_report_bug(caller,
                        "frame_free(%#lx): this frame is inside a larger block, not its "
                        "start (allocated in %s)",
                        block, symbol_describe(head->site, where, sizeof(where)));
    if (head->block_order != order + 1)
        keel_report_bug(caller, "frame %#lx was allocated as order %u but freed as order %u", block,
                        head->block_order - 1u, order);
    /* A shared frame is still mapped by another owner: freeing it would
     * hand that owner's page to the next frame_alloc. */
    if (frame_record_of(block >> PAGE_SHIFT)->shares)
        keel_report_bug(caller,
                        "frame_free of frame %#lx, which %u other owners still share (frame_ref): "
                        "let go of a shared frame with frame_unref, which frees it when the last "
                        "owner does",
                        block, frame_record_of(block >> PAGE_SHIFT)->shares);
    /* Poisoned, so a use after free reads garbage that stands out (and a
     * write after free is caught by the next allocation's check). */
    memset(phys_to_virt(block), FRAME_POISON_BYTE, PAGE_SIZE << order);
    platform_memory_poison(phys_to_virt(block), PAGE_SIZE << order);
    for (uint64_t i = 0; i < (1ull << order); i++) {
        struct page *page = head + i;
        page->state = PAGE_FREE;
        page->block_order = POISONED;
        page->site = caller;
    }
    uint8_t kind = frame_record_of(block >> PAGE_SHIFT)->kind;
    if (kind < FRAME_KIND_COUNT)
        frames_live[kind] -= 1ull << order;
    current->free(block, order);
    /* The platform may cache what it held in these frames (the Linux
     * platform's child process behind a page table): it lets go now. */
    platform_frames_freed(block, order);
    cpu_irq_restore(irq);
}

void frame_free(phys_addr_t block, unsigned order)
{
    checked_free(block, order, CALLER);
}

/* The record of order-0 frame `frame` for frame_ref/unref, after checking
 * that it is allocated: sharing a free frame is a use after free. */
static struct frame_record *shared_record(phys_addr_t frame, const char *what, uintptr_t caller)
{
    struct page *page = phys_to_page(frame);
    char where[160];
    if (!page || frame % PAGE_SIZE)
        keel_report_bug(caller, "%s(%#lx): not the address of a RAM frame", what, frame);
    if (page->state == PAGE_FREE)
        keel_report_bug(caller,
                        "%s(%#lx): the frame is free (a use after free, or one unref too many): "
                        "it was freed in %s",
                        what, frame, symbol_describe(page->site, where, sizeof(where)));
    if (page->state != PAGE_ALLOCATED || page->block_order != 1)
        keel_report_bug(caller, "%s(%#lx): not an order-0 frame from frame_alloc (it is %s)", what,
                        frame, page_state_name((enum page_state)page->state));
    return frame_record_of(frame >> PAGE_SHIFT);
}

void frame_ref(phys_addr_t frame)
{
    bool irq = cpu_irq_save();
    struct frame_record *record = shared_record(frame, "frame_ref", CALLER);
    if (record->shares == 0xffff)
        keel_report_bug(CALLER, "frame_ref(%#lx): more than 65536 owners", frame);
    record->shares++;
    cpu_irq_restore(irq);
}

void frame_unref(phys_addr_t frame)
{
    bool irq = cpu_irq_save();
    struct frame_record *record = shared_record(frame, "frame_unref", CALLER);
    if (record->shares)
        record->shares--;
    else
        checked_free(frame, 0, CALLER);
    cpu_irq_restore(irq);
}

unsigned frame_refcount(phys_addr_t frame)
{
    struct page *page = phys_to_page(frame);
    if (!page || page->state != PAGE_ALLOCATED)
        return 0;
    return 1u + frame_record_of(frame >> PAGE_SHIFT)->shares;
}
