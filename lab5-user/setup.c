/* Lab 5's kernel set-up: the reference memory manager and scheduler, and
 * the trap vectors for system calls and user faults; the page faults the
 * challenge part resolves (vm_fault), counted, and the two system calls that
 * report the counts (getrusage also counts the timer's preemptions). You do
 * not need to change this file. */
#include "lab5.h"

#define SIGKILL         9
#define RUSAGE_SELF     0
#define RUSAGE_CHILDREN (-1)
#define RUSAGE_THREAD   1
#define RUSAGE_SIZE     144
#define RUSAGE_MINFLT   8  /* ru_minflt's index in struct rusage, in 8-byte words */
#define RUSAGE_NIVCSW   17 /* ru_nivcsw's: involuntary context switches */
#define SYSINFO_SIZE    112
#define PF_WRITE        0x2 /* page-fault error code: the access was a write */

static uint64_t cow_total, lazy_total;

void vm_fault_totals(uint64_t *cow, uint64_t *lazy)
{
    *cow = cow_total;
    *lazy = lazy_total;
}

/* vm_fault for the calling process, counted per process and in total. */
static enum vm_fault_result resolve(uintptr_t address, bool write)
{
    struct process *self = process_current();
    if (!self || address >= USER_SPACE_END)
        return VM_FAULT_BAD;
    irq_push_off();
    enum vm_fault_result result = vm_fault(self, address, write);
    if (result == VM_FAULT_COW) {
        self->cow_faults++;
        cow_total++;
    } else if (result == VM_FAULT_LAZY) {
        self->lazy_faults++;
        lazy_total++;
    }
    irq_pop_off();
    return result;
}

/* The user copies' resolver: a copy_to_user into a copy-on-write page
 * faults it in, as the program's own write would. */
static bool resolve_for_copy(uintptr_t page, bool write)
{
    enum vm_fault_result result = resolve(page, write);
    return result == VM_FAULT_COW || result == VM_FAULT_LAZY;
}

static bool on_page_fault(struct trap_frame *frame)
{
    if (trap_from_user(frame)) {
        uintptr_t address = cpu_read_cr2();
        enum vm_fault_result result = resolve(address, (frame->error_code & PF_WRITE) != 0);
        if (result == VM_FAULT_COW || result == VM_FAULT_LAZY)
            return true; /* the instruction runs again, and this time succeeds */
        if (result == VM_FAULT_OOM) {
            struct process *self = process_current();
            kprintf("process %d (%s) killed by signal %d (out of memory): no frame for its page "
                    "fault at %#lx (rip %#lx)\n",
                    self->pid, self->name, SIGKILL, address, frame->rip);
            process_exit(SIGKILL);
        }
    }
    return process_user_fault(frame);
}

static long sys_getrusage(int who, uintptr_t address)
{
    uint64_t usage[RUSAGE_SIZE / 8] = {0};
    struct process *self = process_current();
    if (who == RUSAGE_SELF || who == RUSAGE_THREAD) { /* one thread per process */
        usage[RUSAGE_MINFLT] = self->cow_faults + self->lazy_faults;
        usage[RUSAGE_NIVCSW] = self->thread->framework.preemptions;
    } else if (who != RUSAGE_CHILDREN)
        return -EINVAL;
    return copy_to_user(address, usage, sizeof(usage));
}

static long sys_sysinfo(uintptr_t address)
{
    uint64_t info[SYSINFO_SIZE / 8] = {0};
    uint64_t free_frames = frame_free_count();
    info[4] = (free_frames + mm_count_frames(PAGE_ALLOCATED)) * PAGE_SIZE; /* totalram */
    info[5] = free_frames * PAGE_SIZE;                                     /* freeram */
    info[13] = 1;                                                          /* mem_unit */
    return copy_to_user(address, info, sizeof(info));
}

static bool on_syscall(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    /* System calls may sleep (wait4, read): run them with interrupts on,
     * and off again for the return to user mode. */
    cpu_irq_enable();
    if (frame->rax == SYS_getrusage)
        frame->rax = (uint64_t)sys_getrusage((int)frame->rdi, frame->rsi);
    else if (frame->rax == SYS_sysinfo)
        frame->rax = (uint64_t)sys_sysinfo(frame->rdi);
    else
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
    trap_set_handler(TRAP_PAGE_FAULT, on_page_fault);
    trap_set_handler(USER_SYSCALL_VECTOR, on_syscall);
    user_set_fault_resolver(resolve_for_copy);
    scheduler_install(&rr_scheduler);
    scheduler_start(100);
}
