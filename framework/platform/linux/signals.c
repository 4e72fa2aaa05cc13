/* Exceptions and interrupts on the Linux platform: signals become trap
 * frames of the PC's layout, go through the same trap_dispatch, and what
 * the handler changed in the frame goes back into the signal context.
 *
 *   SIGSEGV, SIGBUS   page fault (14) or general protection fault (13), as
 *                     the host CPU reported it (trap number, error code);
 *                     first offered to the software TLB (memory.c)
 *   SIGILL, SIGFPE    invalid opcode (6), divide error (0)
 *   SIGTRAP           breakpoint (3)
 *   SIGSYS            `int $0x80`: a seccomp filter traps the host's
 *                     32-bit system-call gate, so it reaches the kernel's
 *                     handler for vector 0x80 as on a PC
 *   SIGALRM, SIGUSR1  interrupts (timer; delivery of ones raised earlier)
 *   SIGCHLD           a child process that holds a user address space
 *                     stopped (usermode_children.c); blocked but while waiting for one
 *
 * Exceptions run on an alternate stack, so a kernel stack overflow is still
 * reported. Interrupts run on the interrupted thread's stack, like on a PC,
 * so that a handler may switch threads (preemption) and come back later.
 * This file is not instrumented by the sanitizers: it runs on any stack. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sanitizer/asan_interface.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ucontext.h>
#include <unistd.h>

#include <keel/interrupt.h>
#include <keel/kprintf.h>
#include <keel/panic.h>
#include <keel/power.h>
#include <keel/symbols.h>
#include <keel/trap.h>

#include "../../core/internal.h"
#include "linux.h"

uint8_t linux_signal_stack[LINUX_SIGNAL_STACK_SIZE] __attribute__((aligned(16)));

/* The kernel's code and data selectors on a PC (the GDT's layout). */
#define KERNEL_CS 0x08
#define KERNEL_SS 0x10

static void frame_from_context(const ucontext_t *uc, struct trap_frame *f, unsigned vector,
                               uint64_t error)
{
    const greg_t *g = uc->uc_mcontext.gregs;
    f->r15 = g[REG_R15], f->r14 = g[REG_R14], f->r13 = g[REG_R13], f->r12 = g[REG_R12];
    f->r11 = g[REG_R11], f->r10 = g[REG_R10], f->r9 = g[REG_R9], f->r8 = g[REG_R8];
    f->rbp = g[REG_RBP], f->rdi = g[REG_RDI], f->rsi = g[REG_RSI], f->rdx = g[REG_RDX];
    f->rcx = g[REG_RCX], f->rbx = g[REG_RBX], f->rax = g[REG_RAX];
    f->vector = vector;
    f->error_code = error;
    f->rip = g[REG_RIP];
    f->cs = KERNEL_CS;
    f->rflags = ((uint64_t)g[REG_EFL] & ~RFLAGS_IF) | (linux_cpu.irq_enabled ? RFLAGS_IF : 0);
    f->rsp = g[REG_RSP];
    f->ss = KERNEL_SS;
}

static void frame_to_context(const struct trap_frame *f, ucontext_t *uc)
{
    greg_t *g = uc->uc_mcontext.gregs;
    g[REG_R15] = f->r15, g[REG_R14] = f->r14, g[REG_R13] = f->r13, g[REG_R12] = f->r12;
    g[REG_R11] = f->r11, g[REG_R10] = f->r10, g[REG_R9] = f->r9, g[REG_R8] = f->r8;
    g[REG_RBP] = f->rbp, g[REG_RDI] = f->rdi, g[REG_RSI] = f->rsi, g[REG_RDX] = f->rdx;
    g[REG_RCX] = f->rcx, g[REG_RBX] = f->rbx, g[REG_RAX] = f->rax;
    g[REG_RIP] = f->rip;
    g[REG_RSP] = f->rsp;
    /* The arithmetic flags and the trap flag; the host keeps its own IF. */
    const uint64_t kept = 0x8d5 | 0x100;
    g[REG_EFL] = (greg_t)(((uint64_t)g[REG_EFL] & ~kept) | (f->rflags & kept));
}

/* Run the kernel's handler for `frame` as the CPU would: interrupts off
 * while it runs (interrupt gates), the flag from the frame afterwards
 * (iretq). */
static void dispatch(ucontext_t *uc, struct trap_frame *frame)
{
    linux_cpu.irq_enabled = 0;
    trap_dispatch(frame);
    frame_to_context(frame, uc);
    linux_cpu.irq_enabled = (frame->rflags & RFLAGS_IF) != 0;
}

/* A Linux system call the lock-down (lockdown.c) does not allow: kernel code
 * went around the framework to Linux itself. */
static void blocked_system_call(ucontext_t *uc, int number)
{
    struct trap_frame frame;
    frame_from_context(uc, &frame, 0, 0);
    kprintf("\n*** The kernel made Linux system call %d itself. On the Linux platform kernel code "
            "may use only the framework: the platform does not let it reach Linux.\n",
            number);
    arch_print_registers(&frame);
    kprintf("Where it was (most recent call first):\n");
    backtrace_print(frame.rbp);
    keel_report_bug(frame.rip, "the kernel made Linux system call %d directly", number);
}

static void exception_signal(int signal, siginfo_t *info, void *context)
{
    ucontext_t *uc = context;
    int saved_errno = errno;
    uint64_t trapno = (uint64_t)uc->uc_mcontext.gregs[REG_TRAPNO];
    /* The host's error code has the user bit: the kernel ran in ring 3. */
    uint64_t error = (uint64_t)uc->uc_mcontext.gregs[REG_ERR] & ~4ul;
    unsigned vector;
    switch (signal) {
    case SIGSEGV:
    case SIGBUS:
        vector = trapno == TRAP_GENERAL_PROTECTION ? TRAP_GENERAL_PROTECTION : TRAP_PAGE_FAULT;
        if (vector == TRAP_PAGE_FAULT) {
            if (linux_tlb_fill((uintptr_t)info->si_addr, error)) {
                errno = saved_errno;
                return;
            }
            linux_cpu.cr2 = (uint64_t)info->si_addr;
        } else {
            error = 0;
        }
        break;
    case SIGILL:
        vector = TRAP_INVALID_OPCODE;
        error = 0;
        break;
    case SIGFPE:
        vector = TRAP_DIVIDE_ERROR;
        error = 0;
        break;
    case SIGTRAP:
        vector = info->si_code == TRAP_TRACE ? TRAP_DEBUG : TRAP_BREAKPOINT;
        error = 0;
        break;
    default: /* SIGSYS: int $0x80; the host left its own value in rax */
        if (info->si_arch == AUDIT_ARCH_X86_64)
            blocked_system_call(uc, info->si_syscall);
        vector = 0x80;
        error = 0;
        uc->uc_mcontext.gregs[REG_RAX] = info->si_syscall;
        break;
    }
    struct trap_frame frame;
    frame_from_context(uc, &frame, vector, error);
    dispatch(uc, &frame);
    errno = saved_errno;
}

/* Called by sanitized code before a function that does not return (panic,
 * thread_exit, the test runner's longjmp). AddressSanitizer's own version
 * wants the stack it knows, and kernel threads have stacks of their own:
 * this one clears the poison of whichever kernel stack is in use, as
 * AddressSanitizer does for its own, so the frames being abandoned are not
 * taken for live ones later. */
void __asan_handle_no_return(void);
void __asan_handle_no_return(void)
{
    uintptr_t rsp = (uintptr_t)__builtin_frame_address(0), bottom, top;
    if (platform_stack_bounds(rsp, &bottom, &top))
        __asan_unpoison_memory_region((void *)bottom, top - bottom);
}

/* ---- interrupts ----------------------------------------------------------------- */

static int highest(const volatile uint64_t set[4])
{
    for (int word = 3; word >= 0; word--)
        if (set[word])
            return word * 64 + 63 - __builtin_clzll(set[word]);
    return -1;
}

int linux_irq_next(void)
{
    /* As a local APIC: a vector waits while one of its priority class (its
     * upper four bits) or a higher one is in service, until the EOI. */
    int pending = highest(linux_cpu.pending), serving = highest(linux_cpu.in_service);
    if (pending < 0 || (serving >= 0 && (pending >> 4) <= (serving >> 4)))
        return -1;
    return pending;
}

int linux_irq_take(void)
{
    int vector = linux_irq_next();
    if (vector >= 0) {
        linux_irq_withdraw((unsigned)vector);
        linux_cpu.in_service[vector / 64] |= 1ul << (vector % 64);
    }
    return vector;
}

void linux_irq_raise(unsigned vector)
{
    __atomic_or_fetch(&linux_cpu.pending[vector / 64], 1ul << (vector % 64), __ATOMIC_SEQ_CST);
}

void linux_irq_withdraw(unsigned vector)
{
    __atomic_and_fetch(&linux_cpu.pending[vector / 64], ~(1ul << (vector % 64)), __ATOMIC_SEQ_CST);
}

void linux_irq_check(void)
{
    if (linux_cpu.irq_enabled && linux_irq_next() >= 0)
        kill(getpid(), LINUX_REPLAY_SIGNAL);
}

static void interrupt_signal(int signal, siginfo_t *info, void *context)
{
    (void)info;
    ucontext_t *uc = context;
    int saved_errno = errno;
    if (signal == LINUX_TIMER_SIGNAL && timer_hz())
        linux_irq_raise(TIMER_VECTOR);
    int vector;
    while (linux_cpu.irq_enabled && (vector = linux_irq_take()) >= 0) {
        struct trap_frame frame;
        frame_from_context(uc, &frame, (unsigned)vector, 0);
        dispatch(uc, &frame); /* may switch threads and come back much later */
    }
    errno = saved_errno;
}

static void hang_signal(int signal, siginfo_t *info, void *context)
{
    (void)signal, (void)info;
    struct trap_frame frame;
    frame_from_context(context, &frame, 0, 0);
    linux_print_hang_report(&frame);
    linux_exit(KEEL_EXIT_PANIC);
}

void linux_interrupt_signals(int how, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, LINUX_TIMER_SIGNAL);
    sigaddset(&set, LINUX_REPLAY_SIGNAL);
    sigprocmask(how == SIG_SETMASK ? SIG_UNBLOCK : how, &set, old);
}

/* Only wakes the wait for a child (usermode_children.c). */
static void child_signal(int signal, siginfo_t *info, void *context)
{
    (void)signal, (void)info, (void)context;
}

static void handle(int signal, void (*handler)(int, siginfo_t *, void *), int flags)
{
    struct sigaction action = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO | flags};
    sigemptyset(&action.sa_mask);
    sigaction(signal, &action, NULL);
}

/* Trap every system call made through the 32-bit gate (int $0x80): lab 3's
 * system calls. The kernel's own calls to Linux use `syscall` and pass. */
static void trap_int80(void)
{
    struct sock_filter program[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    };
    struct sock_fprog filter = {.len = KEEL_ARRAY_SIZE(program), .filter = program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0)
        kprintf("Keel: could not install the int $0x80 filter (%d); system calls through "
                "int $0x80 will not reach the kernel\n",
                errno);
}

void linux_signals_init(void)
{
    stack_t stack = {.ss_sp = linux_signal_stack, .ss_size = sizeof(linux_signal_stack)};
    sigaltstack(&stack, NULL);
    static const int exceptions[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(exceptions); i++)
        handle(exceptions[i], exception_signal, SA_ONSTACK | SA_NODEFER);
    handle(LINUX_TIMER_SIGNAL, interrupt_signal, SA_NODEFER | SA_RESTART);
    handle(LINUX_REPLAY_SIGNAL, interrupt_signal, SA_NODEFER | SA_RESTART);
    handle(LINUX_HANG_SIGNAL, hang_signal, SA_ONSTACK);
    handle(SIGCHLD, child_signal, SA_RESTART);
    sigset_t children;
    sigemptyset(&children);
    sigaddset(&children, SIGCHLD);
    sigprocmask(SIG_BLOCK, &children, NULL);
    trap_int80();
}
