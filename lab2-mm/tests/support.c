/* What lab 2's page-table tests share: see support.h. */
#include <keel/cpu.h>
#include <keel/jump.h>
#include <keel/kprintf.h>
#include <keel/user.h>
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

__asm__(".section .rodata\n"
        ".globl user_write_program, user_write_program_end\n"
        "user_write_program:\n"
        "    movq $42, (%rdi)\n"
        "    movl $60, %eax\n"
        "    syscall\n"
        "1:  jmp 1b\n"
        "user_write_program_end:\n"
        ".previous\n");

static keel_jmp_buf back_from_user;
static struct ring3_end ring3_end;
static uint8_t user_trap_stack[16384] __attribute__((aligned(16)));

/* The system call or the fault that ends the user program: note it, and go
 * back to run_in_ring_3. */
static bool user_trap(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    ring3_end.vector = frame->vector;
    ring3_end.error = frame->error_code;
    ring3_end.address = frame->vector == TRAP_PAGE_FAULT ? cpu_read_cr2() : frame->rip;
    keel_longjmp(back_from_user, 1);
}

struct ring3_end run_in_ring_3(phys_addr_t root, uintptr_t entry, uintptr_t stack, uintptr_t arg)
{
    const unsigned vectors[] = {USER_SYSCALL_VECTOR, TRAP_PAGE_FAULT, TRAP_GENERAL_PROTECTION};
    trap_handler_t saved[3];
    for (unsigned i = 0; i < 3; i++)
        saved[i] = trap_set_handler(vectors[i], user_trap);
    ring3_end = (struct ring3_end){.vector = ~0ul};
    paging_switch(root);
    if (keel_setjmp(back_from_user) == 0)
        user_enter(entry, stack, arg, (uintptr_t)user_trap_stack + sizeof(user_trap_stack));
    paging_switch(paging_kernel_root());
    cpu_irq_disable();
    for (unsigned i = 0; i < 3; i++)
        trap_set_handler(vectors[i], saved[i]);
    return ring3_end;
}
