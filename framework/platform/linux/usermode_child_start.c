/* User mode on the Linux platform: how the template process starts (see
 * usermode.h). It begins as a raw fork of the kernel process and, in raw
 * system calls only, becomes a process that holds nothing but the stub. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usermode.h"

#include "linux.h"
#include "stub.h"

/* The kernel's sigaction flag for a return trampoline (x86_64 requires one). */
#define SA_RESTORER 0x04000000

/* In the template, a raw fork of the kernel process: make it the stub's,
 * then wipe the kernel out of it (its clones inherit all of this). Only
 * system calls; each failure exits with its own status (spawn_template
 * reports it, with usermode_child_failure). */
__attribute__((noreturn, no_sanitize("address", "undefined"))) void
usermode_child_start(uint64_t gate_and_parent)
{
    int gate = (int)(gate_and_parent >> 32);
    pid_t parent = (pid_t)(uint32_t)gate_and_parent;
    char go;
    if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || getppid() != parent)
        _exit(10);
    syscall(SYS_setpgid, 0, 0, 0, 0, 0); /* the terminal's signals are the kernel's */
    if (read(gate, &go, 1) != 1)         /* until the kernel traces us */
        _exit(11);
    if (syscall(SYS_mmap, LINUX_STUB_CODE, PAGE_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED,
                usermode_stub_memfd, 0) != LINUX_STUB_CODE ||
        syscall(SYS_mmap, LINUX_STUB_OPS, LINUX_STUB_OPS_SIZE, PROT_NONE, MAP_SHARED | MAP_FIXED,
                usermode_stub_memfd, PAGE_SIZE) != LINUX_STUB_OPS ||
        syscall(SYS_mmap, LINUX_STUB_STACK, LINUX_STUB_STACK_SIZE, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != LINUX_STUB_STACK)
        _exit(12);
    stack_t stack = {.ss_sp = (void *)LINUX_STUB_STACK, .ss_size = LINUX_STUB_STACK_SIZE};
    if (syscall(SYS_sigaltstack, (long)&stack, 0, 0, 0, 0) != 0)
        _exit(13);
    /* Every signal back to its default, but the faults: to the stub. */
    struct {
        uintptr_t handler;
        unsigned long flags;
        uintptr_t restorer;
        uint64_t mask;
    } action = {0};
    for (int signal = 1; signal <= 64; signal++)
        if (signal != SIGKILL && signal != SIGSTOP)
            syscall(SYS_rt_sigaction, signal, (long)&action, 0, 8, 0);
    /* The template's clones are reaped by their tracer, the kernel: with
     * SIGCHLD ignored here, Linux then frees them (no zombies). */
    action.handler = (uintptr_t)SIG_IGN;
    syscall(SYS_rt_sigaction, SIGCHLD, (long)&action, 0, 8, 0);
    action.handler = LINUX_STUB_CODE + LINUX_STUB_FAULT;
    action.flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTORER;
    action.restorer = LINUX_STUB_CODE + LINUX_STUB_RESTORER;
    static const int faults[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(faults); i++)
        if (syscall(SYS_rt_sigaction, faults[i], (long)&action, 0, 8, 0) != 0)
            _exit(14);
    uint64_t none = 0;
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8, 0);
    /* The C library registered a restartable-sequence area with Linux, which
     * updates it on every return to user mode; once the wipe unmaps it, each
     * exception would become a SIGSEGV. Its registered length is the C
     * library's business: try the usual ones. */
    if (__rseq_size) {
        void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
        unsigned lengths[] = {32, __rseq_size, (__rseq_size + 31) & ~31u};
        bool gone = false;
        for (size_t i = 0; i < KEEL_ARRAY_SIZE(lengths) && !gone; i++)
            gone = syscall(SYS_rseq, area, lengths[i], RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0;
        if (!gone)
            _exit(16);
    }
    /* Only physical memory stays open: the stub maps user pages from it. */
    if (linux_memfd > 0)
        syscall(SYS_close_range, 0, linux_memfd - 1, 0, 0, 0);
    syscall(SYS_close_range, linux_memfd + 1, ~0u, 0, 0, 0);
    ((void (*)(void))(LINUX_STUB_CODE + LINUX_STUB_WIPE))();
    _exit(15);
}

const char *usermode_child_failure(int status)
{
    if (!WIFEXITED(status))
        return "it was killed by a signal";
    switch (WEXITSTATUS(status)) {
    case 10:
        return "it could not follow its parent";
    case 11:
        return "it was never traced";
    case 12:
        return "it could not map the stub";
    case 13:
    case 14:
        return "it could not install its fault handler";
    case 16:
        return "it could not unregister the C library's restartable-sequence area";
    default:
        return "it exited";
    }
}
