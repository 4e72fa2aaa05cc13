/* Memory on the Linux platform: the kernel image in the kernel's page table
 * (core/kernel_page_table.c builds the same layout as on a PC, so lab code
 * that copies or walks it sees what it would see there), the software TLB
 * that makes lab page tables real for kernel accesses in LINUX_TLB_WINDOW,
 * thread stacks with guard pages, and AddressSanitizer's poisoning. */
#include <sanitizer/asan_interface.h>
#include <sys/mman.h>

#include <keel/cpu.h>
#include <keel/mm.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/thread.h>

#include "../../core/internal.h"
#include "linux.h"

void platform_map_kernel_image(phys_addr_t *read_only_start, phys_addr_t *read_only_end)
{
    /* The kernel image where a PC has it (its code runs from the Linux
     * process's own copy; these entries are for lab code that looks). */
    for (phys_addr_t pa = mm_kernel_start(); pa < mm_kernel_end(); pa += PAGE_SIZE)
        *arch_kernel_entry(KERNEL_VMA + pa, 1) = pa | PTE_PRESENT | PTE_WRITABLE | PTE_GLOBAL;
    /* Nothing of the direct map aliases code the kernel runs. */
    *read_only_start = *read_only_end = 0;
}

bool linux_root_maps_kernel(phys_addr_t root)
{
    if (root == 0 || root + PAGE_SIZE > linux_ram_bytes || root % PAGE_SIZE)
        return false;
    const pte_t *mine = pt_table(kernel_root_table), *theirs = pt_table(root);
    for (unsigned i = PT_ENTRIES / 2; i < PT_ENTRIES; i++)
        if (mine[i] != theirs[i])
            return false;
    return true;
}

/* ---- the software TLB -------------------------------------------------------- */

bool linux_translate(phys_addr_t root, uintptr_t va, phys_addr_t *pa_out, uint64_t *flags_out)
{
    phys_addr_t table = root & PTE_ADDRESS_MASK;
    uint64_t flags = PTE_WRITABLE | PTE_USER;
    for (int level = 4; level >= 1; level--) {
        if (table + PAGE_SIZE > linux_ram_bytes)
            return false;
        pte_t entry = pt_table(table)[pt_index(va, level)];
        if (!pte_present(entry))
            return false;
        flags &= entry | PTE_NO_EXECUTE; /* W and U must be set at every level */
        flags |= entry & PTE_NO_EXECUTE;
        if (level == 1 || (level <= 3 && (entry & PTE_HUGE))) {
            uint64_t span = 1ul << (PAGE_SHIFT + 9 * (level - 1));
            *pa_out = (pte_address(entry) & ~(span - 1)) + (va & (span - 1) & ~(PAGE_SIZE - 1));
            *flags_out = flags;
            return *pa_out + PAGE_SIZE <= linux_ram_bytes;
        }
        table = pte_address(entry);
    }
    return false;
}

bool linux_tlb_fill(uintptr_t va, uint64_t error)
{
    if (va < LINUX_TLB_WINDOW_START || va >= LINUX_TLB_WINDOW_END)
        return false;
    phys_addr_t pa;
    uint64_t flags;
    if (!linux_translate(linux_cpu.cr3, va, &pa, &flags))
        return false;
    if ((error & 2) && !(flags & PTE_WRITABLE))
        return false;
    if ((error & 16) && (flags & PTE_NO_EXECUTE))
        return false;
    int prot = PROT_READ | (flags & PTE_WRITABLE ? PROT_WRITE : 0) |
               (flags & PTE_NO_EXECUTE ? 0 : PROT_EXEC);
    void *page = (void *)KEEL_ALIGN_DOWN(va, PAGE_SIZE);
    return mmap(page, PAGE_SIZE, prot, MAP_SHARED | MAP_FIXED, linux_memfd, (off_t)pa) == page;
}

void linux_tlb_flush_all(void)
{
    munmap((void *)LINUX_TLB_WINDOW_START, LINUX_TLB_WINDOW_END - LINUX_TLB_WINDOW_START);
}

/* invlpg drops whatever translation covers `va`, a 2 MiB page's too, and
 * this TLB caches 4 KiB pieces of it: so drop the 2 MiB around `va` (more
 * than a 4 KiB page needs, which only costs a refill). */
#define LINUX_FLUSH_SPAN (2ul << 20)

void linux_tlb_flush_page(uintptr_t va)
{
    if (va >= LINUX_TLB_WINDOW_START && va < LINUX_TLB_WINDOW_END)
        munmap((void *)KEEL_ALIGN_DOWN(va, LINUX_FLUSH_SPAN), LINUX_FLUSH_SPAN);
}

/* ---- kernel stacks ------------------------------------------------------------- */

/* AddressSanitizer's frames (red zones around every local array) take
 * several times the stack a PC build does. */
#define LINUX_STACK_SIZE (4 * THREAD_STACK_SIZE)

bool platform_stack_create(uintptr_t *bottom, uintptr_t *top)
{
    size_t size = PAGE_SIZE + LINUX_STACK_SIZE;
    uint8_t *area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return false;
    mprotect(area, PAGE_SIZE, PROT_NONE); /* the guard page */
    /* A stack at this address before may have left poisoned frames behind. */
    ASAN_UNPOISON_MEMORY_REGION(area + PAGE_SIZE, LINUX_STACK_SIZE);
    *bottom = (uintptr_t)area + PAGE_SIZE;
    *top = *bottom + LINUX_STACK_SIZE;
    return true;
}

void platform_stack_destroy(uintptr_t bottom, uintptr_t top)
{
    munmap((void *)(bottom - PAGE_SIZE), top - bottom + PAGE_SIZE);
}

bool platform_stack_bounds(uintptr_t rsp, uintptr_t *bottom, uintptr_t *top)
{
    struct thread *thread = thread_current();
    uintptr_t candidates[][2] = {
        {thread ? thread->framework.stack_bottom : 0, thread ? thread->framework.stack_top : 0},
        {(uintptr_t)boot_stack_bottom, (uintptr_t)boot_stack_top},
        {(uintptr_t)linux_signal_stack, (uintptr_t)linux_signal_stack + LINUX_SIGNAL_STACK_SIZE},
    };
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(candidates); i++) {
        if (rsp >= candidates[i][0] && rsp <= candidates[i][1]) {
            *bottom = candidates[i][0];
            *top = candidates[i][1];
            return true;
        }
    }
    return false;
}

void platform_memory_poison(const void *addr, size_t size)
{
    ASAN_POISON_MEMORY_REGION(addr, size);
}

void platform_memory_unpoison(const void *addr, size_t size)
{
    ASAN_UNPOISON_MEMORY_REGION(addr, size);
}
