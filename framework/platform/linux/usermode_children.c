/* User mode on the Linux platform: the child processes behind address spaces
 * (see usermode.h). Each is a clone of one template process; the kernel
 * traces them all, waits for their stops and ends them when their address
 * space goes. */
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usermode.h"

#include <keel/panic.h>

#include "../../core/internal.h"
#include "linux.h"

#define SPACE_MAX 64

static struct space spaces[SPACE_MAX];
/* The template: a child made once from the kernel process and wiped, which
 * makes every other child by cloning itself (a small process to copy,
 * where the kernel process with its sanitizer's shadow memory is a large
 * one, and one the copy would leave copy-on-write). It never runs user code. */
static struct space template;
static uint64_t runs;

static bool pinned;
volatile pid_t usermode_running_pid;

/* ---- talking to a child -------------------------------------------------------- */

int usermode_wait_child(struct space *space, bool interruptible)
{
    sigset_t blocked, old, during;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGCHLD);
    sigaddset(&blocked, LINUX_TIMER_SIGNAL);
    sigaddset(&blocked, LINUX_REPLAY_SIGNAL);
    sigprocmask(SIG_BLOCK, &blocked, &old);
    during = old;
    sigdelset(&during, SIGCHLD);
    sigdelset(&during, LINUX_TIMER_SIGNAL);
    sigdelset(&during, LINUX_REPLAY_SIGNAL);
    int status = 0;
    for (;;) {
        pid_t got = waitpid(space->pid, &status, WNOHANG | __WALL);
        if (got == space->pid)
            break;
        if (got < 0 && errno != EINTR)
            panic("user mode on the Linux platform: waitpid(%d): %s", space->pid, trouble());
        if (interruptible && !space->interrupt_asked && linux_irq_next() >= 0) {
            ptrace(PTRACE_INTERRUPT, space->pid, 0, 0);
            space->interrupt_asked = true;
            continue;
        }
        ppoll(NULL, 0, NULL, &during); /* until SIGCHLD or an interrupt's signal */
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* Whatever the stop, ask again next time: a request still pending only
     * makes one more (harmless) stop. */
    space->interrupt_asked = false;
    if (!WIFSTOPPED(status)) { /* reaped by the waitpid above */
        space->pid = 0;
        usermode_cache_clear(space);
    }
    return status;
}

void usermode_get_regs(const struct space *space, struct user_regs_struct *regs)
{
    if (ptrace(PTRACE_GETREGS, space->pid, 0, regs) != 0)
        panic("user mode on the Linux platform: PTRACE_GETREGS: %s", trouble());
}

bool usermode_set_regs(const struct space *space, const struct user_regs_struct *regs)
{
    return ptrace(PTRACE_SETREGS, space->pid, 0, regs) == 0;
}

/* ---- creating and ending children --------------------------------------------------- */

/* Kill a child and wait until Linux has let it go. Async-signal-safe. */
static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
        ;
}

/* The ptrace round trips between kernel and child are several times faster
 * when both run on one host CPU: keep the kernel (and so its children) on
 * the one it started the first child on. */
static void pin_to_this_cpu(void)
{
    if (pinned)
        return;
    pinned = true;
    int cpu = sched_getcpu();
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu >= 0) {
        CPU_SET(cpu, &set);
        sched_setaffinity(0, sizeof(set), &set);
    }
}

/* Make the template from the kernel process. */
static void spawn_template(void)
{
    linux_user_prepare(); /* the stub's memory, which the template maps */
    pin_to_this_cpu();
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) != 0)
        panic("user mode on the Linux platform: pipe: %s", trouble());
    /* A raw fork: the C library's and the sanitizer's fork handlers are for
     * children that go on running this program, which this one does not.
     * The kernel's variables (and so the boot stack) are shared memory (the
     * memfd), so until its wipe the child runs on a private stack. */
    size_t stack_size = 64 * 1024;
    uint8_t *stack =
        mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED)
        panic("user mode on the Linux platform: no memory for a child's stack: %s", trouble());
    uint64_t argument = (uint64_t)gate[0] << 32 | (uint32_t)getpid();
    pid_t pid = (pid_t)linux_clone_on_stack(SIGCHLD, (uintptr_t)stack + stack_size,
                                            usermode_child_start, argument);
    close(gate[0]);
    if (pid < 0)
        panic("user mode on the Linux platform: cannot create a process for address spaces: %s",
              strerror(-pid));
    template.pid = pid;
    long options = PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEFORK;
    if (ptrace(PTRACE_SEIZE, pid, 0, options) != 0) {
        int error = errno;
        kill_and_reap(pid);
        template.pid = 0;
        panic("user mode on the Linux platform needs ptrace, which this host refuses (%s). "
              "Check /proc/sys/kernel/yama/ptrace_scope (3 forbids it) and any container or "
              "seccomp rules, or use PLATFORM=pc",
              strerror(error));
    }
    if (write(gate[1], "x", 1) != 1)
        panic("user mode on the Linux platform: cannot start the child: %s", trouble());
    close(gate[1]);
    int status = usermode_wait_child(&template, false);
    if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP)
        panic("user mode on the Linux platform: the process for address spaces did not start "
              "(%s; status %#x)",
              usermode_child_failure(status), status);
    struct user_regs_struct regs;
    usermode_get_regs(&template, &regs);
    if (regs.rax != 0)
        panic("user mode on the Linux platform: a new child could not unmap the kernel's memory "
              "(%ld)",
              (long)regs.rax);
    template.selectors = regs;
    munmap(stack, stack_size); /* the template's copy of it went with the wipe */
}

/* A new child for `space`: a clone of the template, stopped at the stub's
 * int3 (after the clone request, in the copy of the stub's loop). */
static void spawn(struct space *space)
{
    if (!template.pid)
        spawn_template();
    template.forked = 0;
    usermode_op_add(&template, SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
    usermode_op_flush(&template);
    if (!template.forked)
        panic("user mode on the Linux platform: the template process made no child");
    space->pid = template.forked;
    space->interrupt_asked = false;
    space->selectors = template.selectors;
    struct user_regs_struct regs;
    int status = usermode_wait_child(space, false); /* its first stop, as a new tracee */
    if (!WIFSTOPPED(status) || !usermode_run_to_int3(space, 0, &regs) || regs.rax != 0)
        panic("user mode on the Linux platform: a new child of the template did not start "
              "(status %#x)",
              status);
}

void usermode_end_child(struct space *space)
{
    if (space->pid) {
        kill_and_reap(space->pid);
        if (usermode_running_pid == space->pid)
            usermode_running_pid = 0;
    }
    space->pid = 0;
    usermode_cache_clear(space);
}

void linux_user_end_all(void)
{
    /* The template's clones first, while it is alive to have them freed. */
    for (struct space *space = spaces; space < spaces + SPACE_MAX; space++)
        if (space->pid)
            kill_and_reap(space->pid);
    if (template.pid)
        kill_and_reap(template.pid);
}

void platform_frames_freed(phys_addr_t start, unsigned order)
{
    phys_addr_t end = start + (PAGE_SIZE << order);
    for (struct space *space = spaces; space < spaces + SPACE_MAX; space++) {
        if (space->root >= start && space->root < end) {
            usermode_end_child(space);
            space->root = 0;
        }
    }
}

static struct space *space_find(phys_addr_t root)
{
    for (struct space *space = spaces; space < spaces + SPACE_MAX; space++)
        if (space->root == root)
            return space;
    return NULL;
}

struct space *usermode_space_get(phys_addr_t root)
{
    struct space *space = space_find(root);
    if (!space) {
        /* A free slot, or the one that ran longest ago (its next run makes
         * a new child; only its FPU registers are lost). */
        struct space *oldest = spaces;
        for (space = spaces; space < spaces + SPACE_MAX && space->root; space++)
            if (space->last_run < oldest->last_run)
                oldest = space;
        if (space == spaces + SPACE_MAX) {
            space = oldest;
            usermode_end_child(space);
        }
        space->root = root;
        space->check_cache = false;
    }
    if (!space->pid)
        spawn(space);
    space->last_run = ++runs;
    return space;
}

void linux_user_flushed(phys_addr_t root)
{
    /* The whole cache is checked, not only a flushed page: a walk per cached
     * page is cheap beside one round trip to the child. */
    struct space *space = space_find(root);
    if (space)
        space->check_cache = true;
}
