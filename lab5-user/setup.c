/* Lab 5's kernel set-up: the reference memory manager and scheduler, and
 * the trap vectors for system calls and user faults. You do not need to
 * change this file. */
#include "lab5.h"

static bool on_syscall(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    /* System calls may sleep (wait4, read): run them with interrupts on,
     * and off again for the return to user mode. */
    cpu_irq_enable();
    syscall_handle(frame);
    cpu_irq_disable();
    return true;
}

void lab5_start(void)
{
    static bool started;
    if (started)
        return;
    started = true;
    frame_allocator_install(&buddy_allocator);
    page_table_ops_install(&lab2_page_tables);
    for (unsigned vector = 0; vector < 32; vector++)
        if (vector != TRAP_DOUBLE_FAULT && vector != TRAP_MACHINE_CHECK)
            trap_set_handler(vector, process_user_fault);
    trap_set_handler(USER_SYSCALL_VECTOR, on_syscall);
    scheduler_install(&rr_scheduler);
    scheduler_start(100);
}
