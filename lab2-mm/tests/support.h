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

/* A user program of 3 instructions: it writes 42 to the address in RDI,
 * then makes a system call. Copy it into a user page to run it. */
extern const char user_write_program[], user_write_program_end[];

/* How a run in ring 3 ended: its first trap's vector, the address (CR2 for
 * a page fault, else RIP) and the error code. */
struct ring3_end {
    uint64_t vector, address, error;
};

/* Switch to `root` and run user code at `entry` with `arg` in RDI and
 * `stack` as RSP until its first system call or fault, then come back to
 * the kernel's table with the trap handlers as they were. */
struct ring3_end run_in_ring_3(phys_addr_t root, uintptr_t entry, uintptr_t stack, uintptr_t arg);

#endif
