/* Lab 5, part 2: the process table. Read "Part 2" of lab5-user/README.md. */
#include "lab5.h"

struct process *process_table(size_t *count)
{
    /* TODO(lab5): your table and its size (ps shows it). */
    *count = 0;
    return NULL;
}

struct process *process_current(void)
{
    /* TODO(lab5): the process whose thread is thread_current(). */
    return NULL;
}

struct process *process_spawn(const char *path, const char *const argv[])
{
    (void)path, (void)argv;
    /* TODO(lab5): a table entry, an address space (paging_new_root), the
     * program (elf_load, stack_setup), and a thread (thread_new, its
     * address_space set, then thread_make_ready) that enters user mode
     * (user_enter). thread_join cannot wait for a thread_new thread: wait
     * for the process itself (process_wait). */
    return NULL;
}

int process_wait(struct process *process)
{
    (void)process;
    /* TODO(lab5): wait for the zombie (not with thread_join: see lab5.h),
     * free everything, return its status. */
    return -1;
}

void process_exit(int wait_status)
{
    (void)wait_status;
    /* TODO(lab5): become a zombie, wake the parent, switch away for good. */
    panic("process_exit is not written yet (lab5-user/process.c)");
}

long process_fork(const struct trap_frame *frame)
{
    (void)frame;
    /* TODO(lab5): copy the address space; a thread that user_returns to a
     * copy of `frame` with RAX = 0. */
    return -ENOSYS;
}

long process_exec(struct trap_frame *frame, const char *path, const char *const argv[],
                  const char *const envp[])
{
    (void)frame, (void)path, (void)argv, (void)envp;
    /* TODO(lab5): a new address space for the program; rewrite the frame. */
    return -ENOSYS;
}

long process_wait_child(int pid, uintptr_t status_address)
{
    (void)pid, (void)status_address;
    /* TODO(lab5): sleep until a matching child is a zombie; reap it. */
    return -ECHILD;
}

bool process_user_fault(struct trap_frame *frame)
{
    (void)frame;
    /* TODO(lab5): for an exception in user mode, kill the process with the
     * right signal; return false for kernel mode. */
    return false;
}
