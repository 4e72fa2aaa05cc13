/* What lab 2's page-table tests share: see support.h. */
#include <keel/kprintf.h>
#include <ktest.h>

#include "support.h"

phys_addr_t new_space(void)
{
    frame_allocator_install(NULL); /* the framework's allocator, whatever state yours is in */
    page_table_ops_install(&lab2_page_tables);
    phys_addr_t root = paging_new_root();
    KT_ASSERT(root, "no memory for a page table");
    return root;
}

void free_tables(phys_addr_t table, int level)
{
    pte_t *entries = pt_table(table);
    unsigned count = level == 4 ? PT_ENTRIES / 2 : PT_ENTRIES; /* the kernel half is shared */
    for (unsigned i = 0; level > 1 && i < count; i++)
        if (pte_present(entries[i]) && !(entries[i] & PTE_HUGE))
            free_tables(pte_address(entries[i]), level - 1);
    frame_free(table, 0);
}

const char *result_name(int result)
{
    static char other[16];
    switch (result) {
    case 0:
        return "0";
    case -EEXIST:
        return "-EEXIST";
    case -EINVAL:
        return "-EINVAL";
    case -ENOENT:
        return "-ENOENT";
    case -ENOMEM:
        return "-ENOMEM";
    case -ENOSYS:
        return "-ENOSYS (not written yet?)";
    }
    ksnprintf(other, sizeof(other), "%d", result);
    return other;
}

const char *flags_name(uint64_t flags)
{
    static char text[48];
    ksnprintf(text, sizeof(text), "%s%s%s", (flags & PTE_WRITABLE) ? "writable" : "read-only",
              (flags & PTE_USER) ? " user" : "", (flags & PTE_NO_EXECUTE) ? " no-execute" : "");
    return text;
}

static uint64_t frames_at_start;

void page_tables_count_from_here(void)
{
    frames_at_start = mm_count_frames(PAGE_ALLOCATED);
}

uint64_t page_tables(void)
{
    return mm_count_frames(PAGE_ALLOCATED) - frames_at_start;
}
