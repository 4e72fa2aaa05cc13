/* User mode on the Linux platform (user_enter, user_return; see <keel/user.h>):
 * what its files share. Not part of the public API.
 *
 * Every user address space (a top-level page table) is backed by a child
 * process, created when a thread first enters user mode in it. The child
 * holds nothing of the kernel: only the stub (stub.S) and the user pages,
 * which are the kernel's physical-memory frames (the memfd) mapped where the
 * page tables say, with their permissions. The kernel traces the child:
 *
 *   - user code runs under PTRACE_SYSEMU, so each system call it makes
 *     (syscall or int $0x80) stops the child and becomes a trap frame with
 *     vector USER_SYSCALL_VECTOR for the kernel's handler; Linux never runs
 *     it. The result goes back in RAX;
 *   - a fault stops the child with a signal. A page fault on a page the
 *     tables map for user mode is the child's mapping being out of date: it
 *     is mapped (with its neighbours in the same 2 MiB) and the instruction
 *     runs again. Any other fault is delivered to the stub's handler, which
 *     reads the CPU's own trap number, error code and fault address from
 *     the signal context, and reaches the kernel as that exception;
 *   - an interrupt that arrives while user code runs stops the child
 *     (PTRACE_INTERRUPT) and is delivered with the user's registers, as on a
 *     PC, so the timer preempts a program that never makes a system call.
 *
 * The child's mappings are a cache of the page tables, like a TLB tagged
 * with the address space: after the tables change, the kernel must flush
 * (tlb_flush_page, or a CR3 load: paging_switch or tlb_flush_all), and then
 * every cached page is checked against the tables before user code runs
 * again. The user's FPU and SSE registers live in the child. The child runs
 * on the same host CPU as the kernel: a ptrace round trip between CPUs costs
 * several times as much.
 *
 * A user program cannot reach Linux or the kernel's memory: it has no system
 * calls of its own, and its process maps nothing but its pages and the
 * stub's (which it cannot write). If the child dies anyway, the program gets
 * a general protection fault and its address space a new child.
 *
 * The files:
 *   usermode.c              the run loop: user code runs until it traps, the
 *                           trap goes to the kernel's handler, and back
 *   usermode_children.c     the child processes: one per address space, made
 *                           by cloning a template, waited for, ended
 *   usermode_child_start.c  how the template starts: from the kernel process
 *                           to a process that holds only the stub
 *   usermode_stub.c         the stub's requests: system calls the kernel has a
 *                           child make (map, unmap, clone), batched
 *   usermode_tlb.c          the child's pages as a software TLB: filled on a
 *                           fault, checked against the tables after a flush */
#ifndef KEEL_PLATFORM_LINUX_USERMODE_H
#define KEEL_PLATFORM_LINUX_USERMODE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/user.h>
#undef PAGE_SIZE /* <sys/user.h> has its own; <keel/mm.h> has the same */
#undef PAGE_SHIFT

#include <keel/paging.h>

/* A user page as the child maps it: the page table entry it was made from
 * (frame and effective flags), under the key va | 1 (0: an empty slot). */
struct cached_page {
    uintptr_t key;
    pte_t entry;
};

/* One user address space and the child process behind it. */
struct space {
    phys_addr_t root;     /* 0: the slot is free */
    pid_t pid;            /* 0: no child (made on the next entry) */
    bool check_cache;     /* flushed since the child last ran: compare with the tables */
    bool interrupt_asked; /* PTRACE_INTERRUPT sent, its stop not seen yet */
    pid_t forked;         /* the template: the child its last clone made */
    uint64_t last_run;
    struct user_regs_struct selectors; /* the child's segment registers */
    struct cached_page *pages;         /* open addressing, power-of-two capacity */
    size_t page_count, capacity;
};

/* What went wrong in the last failed host call, for a panic message. */
static inline const char *trouble(void)
{
    return strerror(errno);
}

/* ---- usermode_children.c: the child processes ---------------------------------------- */

/* The child running user code right now, for the hang report (0: none). */
extern volatile pid_t usermode_running_pid;

/* Wait for the child's next stop (or death: then the space has no child
 * any more). If `interruptible`, an interrupt that becomes due meanwhile
 * stops the child (PTRACE_INTERRUPT). The wait status. */
int usermode_wait_child(struct space *space, bool interruptible);
/* The stopped child's registers (a failure panics). */
void usermode_get_regs(const struct space *space, struct user_regs_struct *regs);
/* Set the stopped child's registers; false if Linux refuses them. */
bool usermode_set_regs(const struct space *space, const struct user_regs_struct *regs);
/* End the child (if any); its slot keeps its root. */
void usermode_end_child(struct space *space);
/* The space for `root`, with a child ready to run. */
struct space *usermode_space_get(phys_addr_t root);

/* ---- usermode_child_start.c: how the template starts ---------------------------------- */

/* The template's first code, in a raw fork of the kernel process (see the
 * definition); never returns. */
KEEL_NORETURN void usermode_child_start(uint64_t gate_and_parent);
/* Why the template ended with wait status `status` before it was ready. */
const char *usermode_child_failure(int status);

/* ---- usermode_stub.c: the stub's requests --------------------------------------------- */

/* The memfd behind the stub's code and request pages (-1 until
 * linux_user_prepare). */
extern int usermode_stub_memfd;

/* Run the stub's code at `entry` in the stopped child to its int3 (with
 * `signal` delivered instead if not 0: the fault handler); false if the
 * child died. The registers it stopped with are in `regs`. */
bool usermode_run_stub(struct space *space, uintptr_t entry, int signal,
                       struct user_regs_struct *regs);
/* Let the stopped child run on (with `signal`, if not 0) to the stub's next
 * int3; as usermode_run_stub. */
bool usermode_run_to_int3(struct space *space, int signal, struct user_regs_struct *regs);
/* Queue a request (system call `number` with six arguments) for the child;
 * they are made together (usermode_op_flush). */
void usermode_op_add(struct space *space, long number, uintptr_t a0, uintptr_t a1, uintptr_t a2,
                     uintptr_t a3, uintptr_t a4, uintptr_t a5);
/* Queue mapping the page at `va` as `entry` says / unmapping it. */
void usermode_op_map(struct space *space, uintptr_t va, pte_t entry);
/* See usermode_op_map. */
void usermode_op_unmap(struct space *space, uintptr_t va);
/* Have the child make the queued requests; a failure panics. */
void usermode_op_flush(struct space *space);

/* ---- usermode_tlb.c: the child's pages as a software TLB ------------------------------ */

/* Forget every cached page (the child that mapped them is gone). */
void usermode_cache_clear(struct space *space);
/* After a flush: unmap or remap every cached page the tables now disagree with. */
void usermode_check_cache(struct space *space);
/* A page fault at `va`: map what the tables give user mode there and around
 * it. True if that changed the page at `va` (so the access may succeed now);
 * false if the child already had what the tables say: a real fault. */
bool usermode_fill(struct space *space, uintptr_t va);

#endif
