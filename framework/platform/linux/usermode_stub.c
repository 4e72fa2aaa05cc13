/* User mode on the Linux platform: the stub's requests (see usermode.h). The
 * kernel has a child make system calls for it (map and unmap user pages,
 * clone the template) by writing them to the stub's request page and running
 * the stub's loop, which makes them all and stops at an int3. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "usermode.h"

#include <keel/panic.h>

#include "linux.h"
#include "stub.h"

_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_ERR]) == LINUX_UCONTEXT_ERR, "ucontext");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_TRAPNO]) == LINUX_UCONTEXT_TRAPNO,
               "ucontext");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_CR2]) == LINUX_UCONTEXT_CR2, "ucontext");

extern const uint8_t linux_stub_start[], linux_stub_end[];

/* How many requests fit in the request page, with room for the end mark. */
#define STUB_OP_COUNT (LINUX_STUB_OPS_SIZE / LINUX_STUB_OP_SIZE - 1)

int usermode_stub_memfd = -1;
static volatile uint64_t *stub_ops; /* the kernel's view of LINUX_STUB_OPS */
static size_t op_count;

/* ---- the stub's shared pages ------------------------------------------------------ */

void linux_user_prepare(void)
{
    if (usermode_stub_memfd >= 0)
        return;
    size_t size = PAGE_SIZE + LINUX_STUB_OPS_SIZE;
    usermode_stub_memfd = memfd_create("keel-user-stub", MFD_CLOEXEC);
    void *view = MAP_FAILED;
    if (usermode_stub_memfd >= 0 && ftruncate(usermode_stub_memfd, (off_t)size) == 0)
        view = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, usermode_stub_memfd, 0);
    if (view == MAP_FAILED)
        panic("user mode on the Linux platform: cannot create the stub's memory: %s", trouble());
    memcpy(view, linux_stub_start, (size_t)(linux_stub_end - linux_stub_start));
    stub_ops = (volatile uint64_t *)((uint8_t *)view + PAGE_SIZE);
}

/* ---- running the stub's code in a child ------------------------------------------- */

bool usermode_run_stub(struct space *space, uintptr_t entry, int signal,
                       struct user_regs_struct *regs)
{
    struct user_regs_struct start = space->selectors;
    start.rip = LINUX_STUB_CODE + entry;
    start.orig_rax = (unsigned long)-1;
    if (signal == 0 && !usermode_set_regs(space, &start))
        return false;
    return usermode_run_to_int3(space, signal, regs);
}

bool usermode_run_to_int3(struct space *space, int signal, struct user_regs_struct *regs)
{
    ptrace(PTRACE_CONT, space->pid, 0, signal);
    for (;;) {
        int status = usermode_wait_child(space, false);
        if (!WIFSTOPPED(status))
            return false;
        int event = status >> 16;
        if (event == PTRACE_EVENT_FORK) {
            unsigned long pid = 0;
            ptrace(PTRACE_GETEVENTMSG, space->pid, 0, &pid);
            space->forked = (pid_t)pid;
        }
        if (event) { /* the template's clone, or a late interrupt request */
            ptrace(PTRACE_CONT, space->pid, 0, 0);
            continue;
        }
        if (WSTOPSIG(status) != SIGTRAP) {
            /* The stub itself faulted: the child is no use any more. */
            usermode_end_child(space);
            return false;
        }
        usermode_get_regs(space, regs);
        return true;
    }
}

/* ---- the requests ------------------------------------------------------------------ */

void usermode_op_add(struct space *space, long number, uintptr_t a0, uintptr_t a1, uintptr_t a2,
                     uintptr_t a3, uintptr_t a4, uintptr_t a5)
{
    volatile uint64_t *last = op_count ? stub_ops + (op_count - 1) * 8 : NULL;
    /* A request that continues the last one joins it. */
    if (last && (long)last[0] == number && last[1] + last[2] == a0) {
        if (number == SYS_munmap) {
            last[2] += a1;
            return;
        }
        if (number == SYS_mmap && last[3] == a2 && last[6] + last[2] == a5) {
            last[2] += a1;
            return;
        }
    }
    if (op_count == STUB_OP_COUNT)
        usermode_op_flush(space);
    volatile uint64_t *op = stub_ops + op_count++ * 8;
    op[0] = (uint64_t)number, op[1] = a0, op[2] = a1, op[3] = a2;
    op[4] = a3, op[5] = a4, op[6] = a5;
}

void usermode_op_map(struct space *space, uintptr_t va, pte_t entry)
{
    int prot = PROT_READ | (entry & PTE_WRITABLE ? PROT_WRITE : 0) |
               (entry & PTE_NO_EXECUTE ? 0 : PROT_EXEC);
    usermode_op_add(space, SYS_mmap, va, PAGE_SIZE, (uintptr_t)prot, MAP_SHARED | MAP_FIXED,
                    (uintptr_t)linux_memfd, pte_address(entry));
}

void usermode_op_unmap(struct space *space, uintptr_t va)
{
    usermode_op_add(space, SYS_munmap, va, PAGE_SIZE, 0, 0, 0, 0);
}

void usermode_op_flush(struct space *space)
{
    if (op_count == 0)
        return;
    stub_ops[op_count * 8] = (uint64_t)LINUX_STUB_END;
    size_t count = op_count;
    op_count = 0;
    struct user_regs_struct regs;
    if (!usermode_run_stub(space, LINUX_STUB_RUN, 0, &regs))
        panic("user mode on the Linux platform: a process for address spaces died while it "
              "made the kernel's requests");
    if (regs.rax != 0) {
        size_t index = (regs.rbx - LINUX_STUB_OPS) / LINUX_STUB_OP_SIZE;
        const volatile uint64_t *op = stub_ops + (index < count ? index : 0) * 8;
        panic("user mode on the Linux platform: a request to a process for address spaces "
              "failed: system call %lu "
              "(%#lx, %#lx, ...) returned %ld",
              op[0], op[1], op[2], (long)regs.rax);
    }
}
