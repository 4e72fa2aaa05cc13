/* User mode on the Linux platform: the run loop (user_enter, platform_user_return;
 * see <keel/user.h> and, for how a child process runs user code,
 * usermode.h). User code runs in its address space's child until it traps;
 * the trap becomes a trap frame for the kernel's handler, which returns to
 * user mode by letting the loop run the child again. */
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "usermode.h"

#include <keel/kprintf.h>
#include <keel/panic.h>
#include <keel/user.h>

#include "../../core/internal.h"
#include "linux.h"
#include "stub.h"

#define RFLAGS_USER 0x202ul

/* ---- running user code ---------------------------------------------------------------- */

static void regs_from_frame(const struct space *space, const struct trap_frame *f,
                            struct user_regs_struct *r)
{
    *r = space->selectors;
    r->r15 = f->r15, r->r14 = f->r14, r->r13 = f->r13, r->r12 = f->r12;
    r->r11 = f->r11, r->r10 = f->r10, r->r9 = f->r9, r->r8 = f->r8;
    r->rbp = f->rbp, r->rdi = f->rdi, r->rsi = f->rsi, r->rdx = f->rdx;
    r->rcx = f->rcx, r->rbx = f->rbx, r->rax = f->rax;
    r->rip = f->rip, r->rsp = f->rsp, r->eflags = f->rflags;
    r->orig_rax = (unsigned long)-1; /* no system call to restart */
    r->fs_base = user_fs_base();
    r->gs_base = 0;
}

static void frame_from_regs(const struct user_regs_struct *r, struct trap_frame *f)
{
    f->r15 = r->r15, f->r14 = r->r14, f->r13 = r->r13, f->r12 = r->r12;
    f->r11 = r->r11, f->r10 = r->r10, f->r9 = r->r9, f->r8 = r->r8;
    f->rbp = r->rbp, f->rdi = r->rdi, f->rsi = r->rsi, f->rdx = r->rdx;
    f->rcx = r->rcx, f->rbx = r->rbx, f->rax = r->rax;
    f->rip = r->rip, f->rsp = r->rsp, f->rflags = r->eflags;
    f->cs = USER_CODE_SELECTOR;
    f->ss = USER_DATA_SELECTOR;
    f->vector = 0;
    f->error_code = 0;
}

/* A fault that reaches the kernel: let the stub's handler read the CPU's own
 * account of it, then put the user's registers back as they were. */
static bool fault_details(struct space *space, int signal, struct trap_frame *frame)
{
    struct user_fpregs_struct fpu;
    bool have_fpu = ptrace(PTRACE_GETFPREGS, space->pid, 0, &fpu) == 0;
    struct user_regs_struct regs;
    if (!usermode_run_stub(space, LINUX_STUB_FAULT, signal, &regs))
        return false;
    if (have_fpu)
        ptrace(PTRACE_SETFPREGS, space->pid, 0, &fpu); /* signal delivery reset them */
    frame->vector = regs.rbx;
    frame->error_code = regs.rax;
    if (frame->vector == TRAP_PAGE_FAULT) {
        linux_cpu.cr2 = regs.rcx;
        /* The access (write, fetch) is the CPU's; whether the page is there
         * is the page tables': a page mapped for the kernel only is absent
         * from the child, but present to a PC, which says so (bit 0). */
        phys_addr_t pa;
        uint64_t flags;
        frame->error_code &= ~1ul;
        if (linux_translate(space->root, KEEL_ALIGN_DOWN(regs.rcx, PAGE_SIZE), &pa, &flags))
            frame->error_code |= 1;
    }
    return true;
}

/* What a program gets when its registers are refused or its process is
 * lost: a general protection fault (and, next time, a new child). */
static bool protection_fault(struct trap_frame *frame)
{
    frame->vector = TRAP_GENERAL_PROTECTION;
    frame->error_code = 0;
    return true;
}

/* Run user code from `frame` until it traps; the trap is left in `frame`.
 * False when nothing needs dispatching (an interrupt stopped it: deliver
 * what is due, then run on). */
static bool run_until_trap(struct space *space, struct trap_frame *frame)
{
    for (;;) {
        struct user_regs_struct regs;
        regs_from_frame(space, frame, &regs);
        if (!usermode_set_regs(space, &regs)) {
            kprintf("Keel (Linux platform): the registers in a trap frame that returns to user "
                    "mode were refused (rip %#lx, rsp %#lx, FS base %#lx)\n",
                    frame->rip, frame->rsp, user_fs_base());
            return protection_fault(frame);
        }
        usermode_running_pid = space->pid;
        ptrace(PTRACE_SYSEMU, space->pid, 0, 0);
        int status = usermode_wait_child(space, true);
        usermode_running_pid = 0;
        if (!WIFSTOPPED(status)) {
            /* Nothing a program can do should get here; if it did, it is
             * the program's fault: a protection fault, and a new child. */
            kprintf("Keel (Linux platform): the process behind an address space ended (status "
                    "%#x); the program gets a general protection fault\n",
                    status);
            return protection_fault(frame);
        }
        usermode_get_regs(space, &regs);
        frame_from_regs(&regs, frame);
        int signal = WSTOPSIG(status);
        if (signal == (SIGTRAP | 0x80)) {
            frame->vector = USER_SYSCALL_VECTOR;
            frame->rax = regs.orig_rax;
            return true;
        }
        if (status >> 16 == PTRACE_EVENT_STOP)
            return false;
        siginfo_t info;
        if (ptrace(PTRACE_GETSIGINFO, space->pid, 0, &info) != 0)
            continue;
        switch (signal) {
        case SIGTRAP:
            frame->vector = info.si_code == TRAP_TRACE ? TRAP_DEBUG : TRAP_BREAKPOINT;
            return true;
        case SIGSEGV:
            if ((info.si_code == SEGV_MAPERR || info.si_code == SEGV_ACCERR) &&
                usermode_fill(space, (uintptr_t)info.si_addr))
                continue;
            __attribute__((fallthrough));
        case SIGBUS:
        case SIGILL:
        case SIGFPE:
            /* false: the child died on the way (it has been forgotten) */
            return fault_details(space, signal, frame) || protection_fault(frame);
        default:
            continue; /* nobody else signals the child: drop it */
        }
    }
}

/* Interrupts that became due while user code ran arrive now, with the
 * user's registers in the frame (its interrupt flag is always set). */
static void deliver_interrupts(struct trap_frame *frame)
{
    int vector;
    while ((vector = linux_irq_take()) >= 0) {
        frame->vector = (uint64_t)vector;
        frame->error_code = 0;
        linux_cpu.irq_enabled = 0;
        trap_dispatch(frame); /* may switch threads and come back much later */
    }
}

KEEL_NORETURN static void run_user(struct trap_frame *frame)
{
    for (;;) {
        linux_cpu.irq_enabled = 0;
        deliver_interrupts(frame);
        struct space *space = usermode_space_get(paging_current_root());
        if (space->check_cache)
            usermode_check_cache(space);
        usermode_op_flush(space);
        if (!run_until_trap(space, frame))
            continue;
        linux_cpu.irq_enabled = 0; /* the CPU's trap gates and syscall clear IF */
        trap_dispatch(frame);
        if (!trap_from_user(frame) || (frame->ss & 3) != 3)
            keel_report_bug(0,
                            "a trap handler changed a frame from user mode to return to kernel "
                            "mode (cs %#lx, ss %#lx, rip %#lx): a PC would run user code with "
                            "kernel privileges",
                            frame->cs, frame->ss, frame->rip);
        if (frame->vector == USER_SYSCALL_VECTOR && !va_is_canonical(frame->rip))
            syscall_bad_return(frame->rip);
    }
}

void user_enter(uintptr_t rip, uintptr_t rsp, uint64_t arg, uintptr_t kernel_stack_top)
{
    (void)kernel_stack_top; /* traps come back on this stack by themselves */
    struct trap_frame frame = {0};
    frame.rip = rip;
    frame.rsp = rsp;
    frame.rdi = arg;
    frame.rflags = RFLAGS_USER;
    frame.cs = USER_CODE_SELECTOR;
    frame.ss = USER_DATA_SELECTOR;
    run_user(&frame);
}

void platform_user_return(struct trap_frame *frame)
{
    run_user(frame);
}

bool linux_user_print_state(void)
{
    pid_t pid = usermode_running_pid;
    if (!pid)
        return false;
    /* The child may have stopped already (and the kernel not seen it yet):
     * then no new stop comes, but its registers can be read all the same. */
    ptrace(PTRACE_INTERRUPT, pid, 0, 0);
    for (int tries = 0; tries < 100 && waitpid(pid, &(int){0}, WNOHANG | __WALL) == 0; tries++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, 0, &regs) != 0)
        return false;
    struct trap_frame frame;
    frame_from_regs(&regs, &frame);
    kprintf("\n*** Keel was stopped from outside while running (a hang?). It was running user "
            "code at %#lx (address space %#lx):\n",
            frame.rip, paging_current_root());
    arch_print_registers(&frame);
    return true;
}
