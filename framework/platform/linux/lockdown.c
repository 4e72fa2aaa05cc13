/* Once the Linux platform is set up, the kernel process (and the user-mode
 * children it makes later) may make only the Linux system calls the platform
 * and AddressSanitizer need from then on: a seccomp allow-list. Kernel code
 * that calls Linux any other way (a student's inline `syscall`, say) is
 * stopped with a report naming the call; so is anything that would reach
 * the network, other programs or new files. The graders add the outer walls
 * (namespaces, a read-only file system: grading/keelgrade/sandbox.py). */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <keel/panic.h>

#include "../../core/internal.h"
#include "linux.h"

/* What runs after the set-up: the platform (terminal, timer signals, user
 * mode through ptrace and the template's clones), the user-mode children's
 * stub and start-up, and AddressSanitizer (memory, its reports). */
/* clang-format off */
static const unsigned short allowed[] = {
    /* files: the terminal, and AddressSanitizer reading its own program */
    SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_lseek, SYS_close,
    SYS_close_range, SYS_fstat, SYS_newfstatat, SYS_fcntl, SYS_dup, SYS_dup2, SYS_dup3,
    SYS_open, SYS_openat, SYS_readlink, SYS_readlinkat, SYS_getdents64, SYS_ioctl,
    SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6, SYS_pipe2,
    /* memory */
    SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise, SYS_brk,
    /* signals: interrupts and exceptions */
    SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_rt_sigsuspend,
    SYS_rt_sigtimedwait, SYS_sigaltstack, SYS_kill, SYS_tkill, SYS_tgkill,
    SYS_pause, /* cpu_halt with interrupts masked: asleep for good, as a PC */
    /* time */
    SYS_nanosleep, SYS_clock_nanosleep, SYS_clock_gettime, SYS_clock_getres,
    SYS_gettimeofday, SYS_timer_settime, SYS_timer_gettime,
    /* user mode: the template and its clones, traced */
    SYS_ptrace, SYS_wait4, SYS_waitid, SYS_clone, SYS_exit, SYS_exit_group, SYS_getpid,
    SYS_gettid, SYS_getppid, SYS_getpgid, SYS_setpgid, SYS_process_vm_readv,
    SYS_process_vm_writev, SYS_prctl, SYS_arch_prctl, SYS_rseq,
    /* the C library and the sanitizer's runtime */
    SYS_futex, SYS_sched_yield, SYS_sched_getaffinity, SYS_sched_setaffinity, SYS_getcpu,
    SYS_set_robust_list, SYS_getrlimit, SYS_prlimit64, SYS_getrusage, SYS_uname,
    SYS_restart_syscall, SYS_membarrier,
};
/* clang-format on */

#define MAX_FILTER 160

void platform_lock_down(void)
{
    /* What the first user program would otherwise make later. */
    linux_user_prepare();

    struct sock_filter program[MAX_FILTER];
    unsigned n = 0;
    /* 32-bit gates (int $0x80) are the earlier filter's (signals.c): pass. */
    program[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    program[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    /* x32 calls have their own numbers: never allowed. */
    program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1);
    program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    for (size_t i = 0; i < KEEL_ARRAY_SIZE(allowed); i++) {
        program[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allowed[i], 0, 1);
        program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    program[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    _Static_assert(6 + 2 * KEEL_ARRAY_SIZE(allowed) + 1 <= MAX_FILTER, "the filter fits");

    struct sock_fprog filter = {.len = (unsigned short)n, .filter = program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0)
        panic("the Linux platform could not install its system-call allow-list");
}
