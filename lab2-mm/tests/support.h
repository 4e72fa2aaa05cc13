/* What lab 2's page-table tests share (test_pagetable.c, test_hugepage.c). */
#ifndef LAB2_TEST_SUPPORT_H
#define LAB2_TEST_SUPPORT_H

#include "../lab2.h"

/* PML4 slot 64: fresh tables, and inside the Linux platform's window where
 * lab page tables are real for the kernel (docs/linux.md). */
#define TEST_VA 0x0000200000000000ul

/* A fresh address space on your page-table code (the framework's frame
 * allocator under it, whatever state yours is in). Fails the test if there
 * is no memory for its top-level table. */
phys_addr_t new_space(void);

/* Free the tables under `table` (a table of `level`) that lead to the user
 * half, not what 2 MiB entries map, then the table itself: whatever your
 * code left, a test gives its tables back (the leak check after every test
 * wants everything back). The pages it mapped are the test's to free. */
void free_tables(phys_addr_t table, int level);

/* A return value in words: "0", "-EEXIST", "-ENOSYS (not written yet?)"... */
const char *result_name(int result);

/* Permission flags in words, e.g. "writable user no-execute". Returns a
 * static buffer, overwritten by the next call. */
const char *flags_name(uint64_t flags);

/* Count page tables from now on: page_tables() is the number of frames
 * allocated since (nothing else allocates frames during these tests). */
void page_tables_count_from_here(void);
uint64_t page_tables(void);

#endif
