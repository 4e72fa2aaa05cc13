/* The framework's frame allocation and heap: they work on the boot
 * allocator, and they catch misuse (the crash_ tests). */
#include <keel/frame.h>
#include <keel/heap.h>
#include <keel/keel.h>
#include <ktest.h>

/* A byte of memory the allocator says is dead, read on purpose to see what
 * it left there: a memory checker (AddressSanitizer) must not object. */
__attribute__((no_sanitize("address"))) static uint8_t peek(const void *address)
{
    return *(const volatile uint8_t *)address;
}

KTEST(frame_alloc_marks_and_poisons)
{
    uint64_t before = mm_count_frames(PAGE_ALLOCATED);
    phys_addr_t block = frame_alloc(2);
    KT_ASSERT(block && block % (4 * PAGE_SIZE) == 0, "order-2 block %#lx", block);
    KT_ASSERT_EQ(mm_count_frames(PAGE_ALLOCATED), before + 4, "frames marked allocated");
    frame_free(block, 2);
    KT_ASSERT_EQ(peek(phys_to_virt(block)), FRAME_POISON_BYTE, "freed frame poisoned");
    KT_ASSERT_EQ(mm_count_frames(PAGE_ALLOCATED), before, "frames marked free again");
    phys_addr_t zeroed = frame_alloc_zeroed(0);
    KT_ASSERT(zeroed && *(uint64_t *)phys_to_virt(zeroed) == 0, "frame_alloc_zeroed");
    frame_free(zeroed, 0);
}

KTEST(kmalloc_sizes_and_reuse)
{
    char *small = kmalloc(24), *big = kmalloc(10000);
    KT_ASSERT(small && big && (uintptr_t)small % 16 == 0 && (uintptr_t)big % 16 == 0,
              "kmalloc returned %p and %p", (void *)small, (void *)big);
    memset(small, 1, 24);
    memset(big, 2, 10000);
    KT_ASSERT_EQ(kmalloc_size(small), 24, "kmalloc_size");
    kfree(small);
    char *again = kmalloc(20);
    KT_ASSERT(again == small, "a freed 32-byte slot is reused (got %p, freed %p)", (void *)again,
              (void *)small);
    kfree(again);
    kfree(big);
    kfree(NULL);
    char *zero = kzalloc(100);
    for (int i = 0; i < 100; i++)
        KT_ASSERT(zero[i] == 0, "kzalloc byte %d", i);
    kfree(zero);
}

KTEST(crash_frame_double_free)
{
    phys_addr_t block = frame_alloc(0);
    frame_free(block, 0);
    frame_free(block, 0);
}

KTEST(frame_refs_free_with_the_last_owner)
{
    phys_addr_t frame = frame_alloc(0);
    KT_ASSERT(frame, "frame_alloc");
    KT_ASSERT_EQ(frame_refcount(frame), 1, "a new frame has one owner");
    frame_ref(frame);
    frame_ref(frame);
    KT_ASSERT_EQ(frame_refcount(frame), 3, "after two frame_ref");
    frame_unref(frame);
    frame_unref(frame);
    KT_ASSERT_EQ(frame_refcount(frame), 1, "after two frame_unref");
    KT_ASSERT_EQ(phys_to_page(frame)->state, PAGE_ALLOCATED, "still allocated");
    frame_unref(frame);
    KT_ASSERT_EQ(frame_refcount(frame), 0, "the last unref frees it");
    KT_ASSERT_EQ(peek(phys_to_virt(frame)), FRAME_POISON_BYTE, "and poisons it");
}

KTEST(crash_frame_free_while_shared)
{
    phys_addr_t frame = frame_alloc(0);
    frame_ref(frame);
    frame_free(frame, 0);
}

KTEST(crash_frame_unref_too_many)
{
    phys_addr_t frame = frame_alloc(0);
    frame_unref(frame);
    frame_unref(frame);
}

KTEST(crash_frame_wrong_order)
{
    phys_addr_t block = frame_alloc(1);
    frame_free(block, 0);
}

KTEST(crash_frame_free_kernel)
{
    frame_free(mm_kernel_start(), 0);
}

KTEST(crash_heap_overflow)
{
    char *block = kmalloc(24);
    block[24] = 'x'; /* one past the end */
    kfree(block);
}

KTEST(crash_heap_double_free)
{
    void *block = kmalloc(40);
    kfree(block);
    kfree(block);
}

KTEST(crash_heap_use_after_free)
{
    char *block = kmalloc(48);
    kfree(block);
    block[3] = 'x';
    void *again = kmalloc(48); /* reuses the slot: a checked build notices */
    kfree(again);
    KT_FAIL("the write after free was not reported: is this a CHECKED=1 build?");
}

/* The leak check after every test: a warm-up may keep memory (a cache filled
 * on first use) when ktest_memory_baseline follows it; what the rest of the
 * test allocates and frees is then all the check looks at. (Its failures:
 * crash_leaked_memory and crash_leaked_after_baseline in test_crash.c.) */
KTEST(leak_check_baseline_after_warm_up)
{
    static void *cache;
    if (!cache)
        cache = kmalloc(64);
    KT_ASSERT(cache, "out of memory");
    ktest_memory_baseline();
    void *block = kmalloc(32);
    phys_addr_t frame = frame_alloc(0);
    KT_ASSERT(block && frame, "out of memory");
    kfree(block);
    frame_free(frame, 0);
}
