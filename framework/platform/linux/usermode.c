/* User mode on the Linux platform (user_enter, user_return; see <keel/user.h>).
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
 * a general protection fault and its address space a new child. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#undef PAGE_SIZE /* <sys/user.h> has its own; <keel/mm.h> has the same */
#undef PAGE_SHIFT

#include <keel/kprintf.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/thread.h>
#include <keel/user.h>

#include "../../core/internal.h"
#include "linux.h"
#include "stub.h"

_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_ERR]) == LINUX_UCONTEXT_ERR, "ucontext");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_TRAPNO]) == LINUX_UCONTEXT_TRAPNO,
               "ucontext");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_CR2]) == LINUX_UCONTEXT_CR2, "ucontext");

extern const uint8_t linux_stub_start[], linux_stub_end[];

#define SPACE_MAX   64
#define REGION_SIZE (2ul << 20) /* what one fault maps: a page table's worth */
#define RFLAGS_USER 0x202ul
/* The kernel's sigaction flag for a return trampoline (x86_64 requires one). */
#define SA_RESTORER   0x04000000
#define STUB_OP_COUNT (LINUX_STUB_OPS_SIZE / LINUX_STUB_OP_SIZE - 1)

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

static struct space spaces[SPACE_MAX];
/* The template: a child made once from the kernel process and wiped, which
 * makes every other child by cloning itself (a small process to copy,
 * where the kernel process with its sanitizer's shadow memory is a large
 * one, and one the copy would leave copy-on-write). It never runs user code. */
static struct space template;
static uint64_t runs;
static int stub_memfd = -1;
static volatile uint64_t *stub_ops; /* the kernel's view of LINUX_STUB_OPS */
static size_t op_count;
static bool pinned, reserved_warned;
/* The child running user code right now, for the hang report (0: none). */
static volatile pid_t running_pid;

static const char *trouble(void)
{
    return strerror(errno);
}

/* ---- the stub's shared pages ------------------------------------------------------ */

static void stub_init(void);

void linux_user_prepare(void)
{
    stub_init();
}

static void stub_init(void)
{
    if (stub_memfd >= 0)
        return;
    size_t size = PAGE_SIZE + LINUX_STUB_OPS_SIZE;
    stub_memfd = memfd_create("keel-user-stub", MFD_CLOEXEC);
    void *view = MAP_FAILED;
    if (stub_memfd >= 0 && ftruncate(stub_memfd, (off_t)size) == 0)
        view = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, stub_memfd, 0);
    if (view == MAP_FAILED)
        panic("user mode on the Linux platform: cannot create the stub's memory: %s", trouble());
    memcpy(view, linux_stub_start, (size_t)(linux_stub_end - linux_stub_start));
    stub_ops = (volatile uint64_t *)((uint8_t *)view + PAGE_SIZE);
}

/* ---- the page cache of one space ------------------------------------------------ */

static size_t slot_of(const struct space *space, uintptr_t va)
{
    uint64_t hash = (va >> PAGE_SHIFT) * 0x9e3779b97f4a7c15ul;
    return (size_t)(hash >> 20) & (space->capacity - 1);
}

static struct cached_page *cache_find(struct space *space, uintptr_t va)
{
    if (!space->capacity)
        return NULL;
    for (size_t i = slot_of(space, va);; i = (i + 1) & (space->capacity - 1)) {
        if (space->pages[i].key == (va | 1))
            return &space->pages[i];
        if (space->pages[i].key == 0)
            return NULL;
    }
}

static void cache_put(struct space *space, uintptr_t va, pte_t entry);

static void cache_resize(struct space *space, size_t capacity)
{
    struct cached_page *old = space->pages;
    size_t old_capacity = space->capacity;
    space->pages = calloc(capacity, sizeof(*space->pages));
    if (!space->pages)
        panic("user mode on the Linux platform: out of host memory");
    space->capacity = capacity;
    space->page_count = 0;
    for (size_t i = 0; i < old_capacity; i++)
        if (old[i].key)
            cache_put(space, old[i].key & ~1ul, old[i].entry);
    free(old);
}

static void cache_put(struct space *space, uintptr_t va, pte_t entry)
{
    if ((space->page_count + 1) * 2 > space->capacity)
        cache_resize(space, space->capacity ? space->capacity * 2 : 256);
    size_t i = slot_of(space, va);
    while (space->pages[i].key && space->pages[i].key != (va | 1))
        i = (i + 1) & (space->capacity - 1);
    if (!space->pages[i].key)
        space->page_count++;
    space->pages[i] = (struct cached_page){va | 1, entry};
}

static void cache_clear(struct space *space)
{
    free(space->pages);
    space->pages = NULL;
    space->page_count = space->capacity = 0;
}

/* What the child should map at `va` by the tables: the frame and effective
 * flags, or 0 when user code may not touch it at all. */
static pte_t wanted_entry(const struct space *space, uintptr_t va)
{
    phys_addr_t pa;
    uint64_t flags;
    if (va >= LINUX_USER_TOP || (va >= LINUX_STUB_BASE && va < LINUX_STUB_BASE + LINUX_STUB_SIZE))
        return 0;
    if (!linux_translate(space->root, va, &pa, &flags) || !(flags & PTE_USER))
        return 0;
    return pa | flags | PTE_PRESENT;
}

/* ---- talking to a child -------------------------------------------------------- */

/* Wait for the child's next stop (or death: then the space has no child
 * any more). If `interruptible`, an interrupt that becomes due meanwhile
 * stops the child (PTRACE_INTERRUPT). */
static int wait_child(struct space *space, bool interruptible)
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
        cache_clear(space);
    }
    return status;
}

static void get_regs(const struct space *space, struct user_regs_struct *regs)
{
    if (ptrace(PTRACE_GETREGS, space->pid, 0, regs) != 0)
        panic("user mode on the Linux platform: PTRACE_GETREGS: %s", trouble());
}

static bool set_regs(const struct space *space, const struct user_regs_struct *regs)
{
    return ptrace(PTRACE_SETREGS, space->pid, 0, regs) == 0;
}

static void end_child(struct space *space);
static bool run_to_int3(struct space *space, int signal, struct user_regs_struct *regs);

/* Run the stub's code at `entry` in the stopped child to its int3 (with
 * `signal` delivered instead if not 0: the fault handler); false if the
 * child died. The registers it stopped with are in `regs`. */
static bool run_stub(struct space *space, uintptr_t entry, int signal,
                     struct user_regs_struct *regs)
{
    struct user_regs_struct start = space->selectors;
    start.rip = LINUX_STUB_CODE + entry;
    start.orig_rax = (unsigned long)-1;
    if (signal == 0 && !set_regs(space, &start))
        return false;
    return run_to_int3(space, signal, regs);
}

static bool run_to_int3(struct space *space, int signal, struct user_regs_struct *regs)
{
    ptrace(PTRACE_CONT, space->pid, 0, signal);
    for (;;) {
        int status = wait_child(space, false);
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
            end_child(space);
            return false;
        }
        get_regs(space, regs);
        return true;
    }
}

/* Queue a request for the child; they are made together (op_flush). */
static void op_flush(struct space *space);

static void op_add(struct space *space, long number, uintptr_t a0, uintptr_t a1, uintptr_t a2,
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
        op_flush(space);
    volatile uint64_t *op = stub_ops + op_count++ * 8;
    op[0] = (uint64_t)number, op[1] = a0, op[2] = a1, op[3] = a2;
    op[4] = a3, op[5] = a4, op[6] = a5;
}

static void op_map(struct space *space, uintptr_t va, pte_t entry)
{
    int prot = PROT_READ | (entry & PTE_WRITABLE ? PROT_WRITE : 0) |
               (entry & PTE_NO_EXECUTE ? 0 : PROT_EXEC);
    op_add(space, SYS_mmap, va, PAGE_SIZE, (uintptr_t)prot, MAP_SHARED | MAP_FIXED,
           (uintptr_t)linux_memfd, pte_address(entry));
}

static void op_unmap(struct space *space, uintptr_t va)
{
    op_add(space, SYS_munmap, va, PAGE_SIZE, 0, 0, 0, 0);
}

static void op_flush(struct space *space)
{
    if (op_count == 0)
        return;
    stub_ops[op_count * 8] = (uint64_t)LINUX_STUB_END;
    size_t count = op_count;
    op_count = 0;
    struct user_regs_struct regs;
    if (!run_stub(space, LINUX_STUB_RUN, 0, &regs))
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

/* ---- creating and ending children --------------------------------------------------- */

/* Kill a child and wait until Linux has let it go. Async-signal-safe. */
static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
        ;
}

/* In the template, a raw fork of the kernel process: make it the stub's,
 * then wipe the kernel out of it (its clones inherit all of this). Only
 * system calls; each failure exits with its own status (spawn_template
 * reports it). */
__attribute__((noreturn, no_sanitize("address", "undefined"))) static void
child_start(uint64_t gate_and_parent)
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
                stub_memfd, 0) != LINUX_STUB_CODE ||
        syscall(SYS_mmap, LINUX_STUB_OPS, LINUX_STUB_OPS_SIZE, PROT_NONE, MAP_SHARED | MAP_FIXED,
                stub_memfd, PAGE_SIZE) != LINUX_STUB_OPS ||
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

static const char *child_failure(int status)
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
    stub_init();
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
    pid_t pid =
        (pid_t)linux_clone_on_stack(SIGCHLD, (uintptr_t)stack + stack_size, child_start, argument);
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
    int status = wait_child(&template, false);
    if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP)
        panic("user mode on the Linux platform: the process for address spaces did not start "
              "(%s; status %#x)",
              child_failure(status), status);
    struct user_regs_struct regs;
    get_regs(&template, &regs);
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
    op_add(&template, SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
    op_flush(&template);
    if (!template.forked)
        panic("user mode on the Linux platform: the template process made no child");
    space->pid = template.forked;
    space->interrupt_asked = false;
    space->selectors = template.selectors;
    struct user_regs_struct regs;
    int status = wait_child(space, false); /* its first stop, as a new tracee */
    if (!WIFSTOPPED(status) || !run_to_int3(space, 0, &regs) || regs.rax != 0)
        panic("user mode on the Linux platform: a new child of the template did not start "
              "(status %#x)",
              status);
}

/* End the child (if any); its slot keeps its root. */
static void end_child(struct space *space)
{
    if (space->pid) {
        kill_and_reap(space->pid);
        if (running_pid == space->pid)
            running_pid = 0;
    }
    space->pid = 0;
    cache_clear(space);
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
            end_child(space);
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

/* The space for `root`, with a child ready to run. */
static struct space *space_get(phys_addr_t root)
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
            end_child(space);
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

/* ---- keeping the child's pages in step with the tables ----------------------------- */

/* After a flush: unmap or remap every cached page the tables now disagree with. */
static void check_cache(struct space *space)
{
    space->check_cache = false;
    if (!space->page_count)
        return;
    struct cached_page *old = space->pages;
    size_t capacity = space->capacity;
    space->pages = NULL;
    space->page_count = space->capacity = 0;
    for (size_t i = 0; i < capacity; i++) {
        if (!old[i].key)
            continue;
        uintptr_t va = old[i].key & ~1ul;
        pte_t wanted = wanted_entry(space, va);
        if (wanted == old[i].entry) {
            cache_put(space, va, wanted);
        } else if (wanted) {
            op_map(space, va, wanted);
            cache_put(space, va, wanted);
        } else {
            op_unmap(space, va);
        }
    }
    free(old);
}

/* A page fault at `va`: map what the tables give user mode there and around
 * it. True if that changed the page at `va` (so the access may succeed now);
 * false if the child already had what the tables say: a real fault. */
static bool fill(struct space *space, uintptr_t va)
{
    uintptr_t page = KEEL_ALIGN_DOWN(va, PAGE_SIZE);
    pte_t wanted = wanted_entry(space, page);
    struct cached_page *cached = cache_find(space, page);
    if (!wanted || (cached && cached->entry == wanted)) {
        if (va >= LINUX_STUB_BASE && va < LINUX_STUB_BASE + LINUX_STUB_SIZE && !reserved_warned &&
            linux_translate(space->root, page, &(phys_addr_t){0}, &(uint64_t){0})) {
            reserved_warned = true;
            kprintf("Keel (Linux platform): user address %#lx is in [%#lx, %#lx), which this "
                    "platform keeps for itself; a program that uses it gets a page fault\n",
                    va, (uintptr_t)LINUX_STUB_BASE, (uintptr_t)(LINUX_STUB_BASE + LINUX_STUB_SIZE));
        }
        return false;
    }
    uintptr_t start = KEEL_ALIGN_DOWN(va, REGION_SIZE);
    for (uintptr_t p = start; p < start + REGION_SIZE; p += PAGE_SIZE) {
        pte_t entry = p == page ? wanted : wanted_entry(space, p);
        if (!entry)
            continue;
        struct cached_page *known = cache_find(space, p);
        if (known && known->entry == entry)
            continue;
        op_map(space, p, entry);
        cache_put(space, p, entry);
    }
    op_flush(space);
    return true;
}

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
    if (!run_stub(space, LINUX_STUB_FAULT, signal, &regs))
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
        if (!set_regs(space, &regs)) {
            kprintf("Keel (Linux platform): the registers in a trap frame that returns to user "
                    "mode were refused (rip %#lx, rsp %#lx, FS base %#lx)\n",
                    frame->rip, frame->rsp, user_fs_base());
            return protection_fault(frame);
        }
        running_pid = space->pid;
        ptrace(PTRACE_SYSEMU, space->pid, 0, 0);
        int status = wait_child(space, true);
        running_pid = 0;
        if (!WIFSTOPPED(status)) {
            /* Nothing a program can do should get here; if it did, it is
             * the program's fault: a protection fault, and a new child. */
            kprintf("Keel (Linux platform): the process behind an address space ended (status "
                    "%#x); the program gets a general protection fault\n",
                    status);
            return protection_fault(frame);
        }
        get_regs(space, &regs);
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
                fill(space, (uintptr_t)info.si_addr))
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
        struct space *space = space_get(paging_current_root());
        if (space->check_cache)
            check_cache(space);
        op_flush(space);
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
    pid_t pid = running_pid;
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
