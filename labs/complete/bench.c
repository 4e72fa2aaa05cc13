/* Benchmarks of the complete kernel, run by make bench (keel.test=bench_…):
 * each reports nanoseconds per operation measured with time_ns(). Under an
 * emulator these are the emulator's speed as much as the kernel's: compare
 * them with each other and over time, not with real hardware. */
#include <keel/keel.h>
#include <ktest.h>
#include <lab2.h>
#include <lab3.h>

#define ROUNDS 2000

static uint64_t per_op(uint64_t start, uint64_t operations)
{
    return (time_ns() - start) / operations;
}

KTEST(bench_memory)
{
    frame_allocator_install(&buddy_allocator);
    page_table_ops_install(&lab2_page_tables);
    static const unsigned orders[] = {0, 4};
    for (unsigned k = 0; k < 2; k++) {
        uint64_t start = time_ns();
        for (unsigned i = 0; i < ROUNDS; i++)
            frame_free(frame_alloc(orders[k]), orders[k]);
        ktest_bench_report(orders[k] ? "frame_alloc+free order 4" : "frame_alloc+free order 0",
                           per_op(start, ROUNDS), "ns/op");
    }
    static const size_t sizes[] = {64, 4096};
    for (unsigned k = 0; k < 2; k++) {
        uint64_t start = time_ns();
        for (unsigned i = 0; i < ROUNDS; i++)
            kfree(kmalloc(sizes[k]));
        ktest_bench_report(sizes[k] == 64 ? "kmalloc+kfree 64 B" : "kmalloc+kfree 4 KiB",
                           per_op(start, ROUNDS), "ns/op");
    }
    phys_addr_t root = paging_new_root();
    phys_addr_t frame = frame_alloc_zeroed(0);
    const uintptr_t va = 0x40000000;
    vm_map(root, va + (2ul << 20), frame, 0); /* keep the tables alive between rounds */
    uint64_t start = time_ns();
    for (unsigned i = 0; i < ROUNDS; i++) {
        vm_map(root, va, frame, PTE_WRITABLE);
        vm_unmap(root, va);
    }
    ktest_bench_report("map+unmap 1 page", per_op(start, ROUNDS), "ns/op");
    start = time_ns();
    for (unsigned round = 0; round < 20; round++) {
        for (unsigned i = 0; i < 512; i++)
            vm_map(root, va + i * PAGE_SIZE, frame, PTE_WRITABLE);
        for (unsigned i = 0; i < 512; i++)
            vm_unmap(root, va + i * PAGE_SIZE);
    }
    ktest_bench_report("map+unmap 512 pages", per_op(start, 20), "ns/op");
    vm_unmap(root, va + (2ul << 20)); /* the last mapping: the tables go with it */
    frame_free(root, 0);
    frame_free(frame, 0);
}

static bool silent_breakpoint(struct trap_frame *frame)
{
    (void)frame;
    return true;
}

KTEST(bench_traps)
{
    lab3_install();
    trap_set_handler(TRAP_BREAKPOINT, silent_breakpoint); /* no printing in the loop */
    uint64_t start = time_ns();
    for (unsigned i = 0; i < ROUNDS; i++)
        __asm__ volatile("int3");
    ktest_bench_report("trap round trip (int3)", per_op(start, ROUNDS), "ns/op");

    /* The timer path without waiting for the timer: the same vector raised
     * by software runs the stub, the dispatcher, the handler and its EOI. A
     * real tick adds the APIC's delivery, which an emulator cannot time. */
    start = time_ns();
    for (unsigned i = 0; i < ROUNDS; i++)
        __asm__ volatile("int %0" ::"i"(TIMER_VECTOR));
    ktest_bench_report("timer handler round trip (int $48)", per_op(start, ROUNDS), "ns/op");
}
