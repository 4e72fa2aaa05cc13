/* Lab 5: what you implement, and what the tests expect of it.
 *   elf.c      loading a static x86_64 ELF program and its first stack
 *   process.c  the process table: spawn, fork, exec, exit, wait, faults
 *   syscall.c  system calls with Linux's numbers and meanings
 *   vm.c       the challenge part: copy-on-write fork and demand-zero memory
 * Read lab5-user/README.md first. Processes run as lab 4 threads (reference
 * solution) in address spaces built with lab 2's page tables (reference),
 * through the framework's vm_map, copy_from_user and user_enter. */
#ifndef LAB5_H
#define LAB5_H

#include <keel/errno.h>
#include <keel/keel.h>
#include <lab2.h>
#include <lab4.h>

/* ---- elf.c ---------------------------------------------------------------- */

/* What elf_load learned about a program. */
struct elf_info {
    uintptr_t entry;     /* first instruction */
    uintptr_t phdr;      /* where the program headers are in user memory (AT_PHDR) */
    unsigned phnum;      /* how many (AT_PHNUM) */
    uintptr_t image_end; /* end of the highest segment, page aligned: the heap starts here */
};

/* Load the static ELF image (image, size) into the address space `root`:
 * check it is a 64-bit little-endian x86_64 executable (ET_EXEC) whose
 * segments lie inside the image; for each PT_LOAD
 * segment map zeroed user pages (frame_alloc_zeroed, vm_map) covering
 * [vaddr, vaddr + memsz), writable only if PF_W, executable only if PF_X,
 * and copy the filesz bytes from the image. 0, or -ENOEXEC for a file that
 * is not such an executable, -EFAULT for one whose segments or entry point
 * are not below USER_STACK_TOP (where Linux's user memory ends: a system call
 * from the page above would return to a non-canonical address), -ENOMEM. */
int elf_load(phys_addr_t root, const void *image, size_t size, struct elf_info *info);

/* Where a process's stack ends (one page below USER_SPACE_END) and how many
 * pages stack_setup maps below it. */
#define USER_STACK_TOP   0x00007ffffffff000ul
#define USER_STACK_PAGES 16

/* Map the stack (USER_STACK_PAGES below USER_STACK_TOP, writable, not
 * executable; the reference maps as many more as big arguments need) and lay
 * out what a Linux program finds at start, from the top down: the argument
 * and environment strings, 16 random bytes, then (16-byte aligned) argc,
 * argv[0..argc-1], NULL, envp[..], NULL, and the auxiliary vector AT_PHDR,
 * AT_PHENT (56), AT_PHNUM, AT_PAGESZ, AT_ENTRY, AT_RANDOM, AT_NULL. `argv`
 * and `envp` end with NULL. Returns the initial stack pointer (pointing at
 * argc), or 0 if it does not fit / no memory. */
uintptr_t stack_setup(phys_addr_t root, const char *const argv[], const char *const envp[],
                      const struct elf_info *info);

/* ---- process.c ------------------------------------------------------------ */

/* The size of the process table, and room for a process's name (NUL
 * included). */
#define PROCESS_MAX      32
#define PROCESS_NAME_MAX 32

/* A table entry is free, a live process, or a process that has ended and
 * waits for its parent's wait4. */
enum process_state { PROCESS_FREE, PROCESS_RUNNING, PROCESS_ZOMBIE };

/* How many lazily mapped regions (anonymous mmap) a process may have. */
#define PROCESS_REGIONS 64

/* A region of demand-zero memory (challenge part): [start, end), page
 * aligned, mapped page by page at the first touch with `flags` (PTE_WRITABLE
 * and PTE_NO_EXECUTE as its mmap asked; PTE_USER implied). start == end: a
 * free slot. */
struct vm_region {
    uintptr_t start, end;
    uint64_t flags;
};

/* A user process: one thread in its own address space. process.c owns every
 * struct process (a table of PROCESS_MAX); an entry is reused once reaped. */
struct process {
    int pid; /* 1, 2, …; never reused while the kernel runs */
    enum process_state state;
    char name[PROCESS_NAME_MAX];
    struct process *parent;         /* NULL: started by the kernel, or an orphan */
    bool orphan;                    /* its parent exited first: reaped when it ends */
    phys_addr_t root;               /* the address space */
    struct thread *thread;          /* the kernel thread that runs it */
    int wait_status;                /* for wait4: exit code << 8, or the killing signal */
    uintptr_t heap_start, heap_end; /* brk */
    uintptr_t mmap_next;            /* where the next anonymous mapping goes */
    struct wait_queue child_exits;  /* the process waits here for its children */
    /* Challenge part: anonymous mappings not yet touched, and the faults
     * setup.c counted for this process (vm_fault's COW and LAZY answers;
     * getrusage's ru_minflt is their sum). */
    struct vm_region regions[PROCESS_REGIONS];
    uint64_t cow_faults, lazy_faults;
};

/* Start the program `path` from the boot archive (programs_find) as a new
 * process (parent: the calling process, or none) with arguments `argv`
 * (NULL-terminated; argv[0] is the name). NULL if there is no such program,
 * it does not load, or the table is full. */
struct process *process_spawn(const char *path, const char *const argv[]);

/* Wait until `process` has ended, reap it (free its address space, thread
 * and table entry), and return its wait status. Kernel context. A process's
 * thread comes from thread_new (its address space must be set before it is
 * made ready), so thread_join cannot wait for it (lab4.h): wait until the
 * entry is a zombie and its thread THREAD_DEAD (switched away for good),
 * then free the thread with thread_free. */
int process_wait(struct process *process);

/* The process table and its size, for tools such as ps. */
struct process *process_table(size_t *count);

/* The process the calling thread runs, or NULL for kernel threads. */
struct process *process_current(void);

/* End the calling process with `wait_status` (Linux encoding: exit code << 8,
 * or the signal number); wakes the parent; never returns. */
KEEL_NORETURN void process_exit(int wait_status);

/* A copy of the calling process (fork): a new address space with a copy of
 * every user page, and a thread that returns to user mode from `frame` with
 * RAX = 0. Returns the child's pid, or -ENOMEM / -EAGAIN. */
long process_fork(const struct trap_frame *frame);

/* Replace the calling process's program (execve): `path` from the boot
 * archive, new arguments and environment (`argv` and `envp`, each ending
 * with NULL, as stack_setup takes them; the caller keeps them); on success
 * `frame` is rewritten to start it (returns 0). -ENOENT, -ENOEXEC, -ENOMEM;
 * the old program keeps running on failure. An executable that elf_load
 * refuses with -EFAULT (entry point or segment outside user memory) kills
 * the caller with SIGSEGV instead, as Linux does (it finds out only after
 * discarding the old program). */
long process_exec(struct trap_frame *frame, const char *path, const char *const argv[],
                  const char *const envp[]);

/* wait4: wait for child `pid` (or any child if pid is -1), store its status
 * at user address `status_address` (if not 0), reap it, return its pid;
 * -ECHILD if there is no such child. */
long process_wait_child(int pid, uintptr_t status_address);

/* An exception in user mode: kill the process with the signal Linux would
 * send (SIGSEGV 11 for page faults and protection faults, SIGILL 4 for an
 * invalid instruction, SIGFPE 8 for a divide error, SIGTRAP 5 for int3,
 * SIGSEGV otherwise), printing one line that says so. Returns false for
 * exceptions in kernel mode (the framework reports those). */
bool process_user_fault(struct trap_frame *frame);

/* ---- vm.c (challenge part) ------------------------------------------------ */

/* What vm_fault did about a page fault. */
enum vm_fault_result {
    VM_FAULT_BAD,  /* a genuine bad access: the process gets SIGSEGV as before */
    VM_FAULT_COW,  /* a write to a copy-on-write page: it is now the writer's own */
    VM_FAULT_LAZY, /* a first touch of demand-zero memory: a zeroed page is mapped */
    VM_FAULT_OOM,  /* it needed a frame and there was none: the process is killed */
};

/* Resolve a page fault of `process` (the caller's, in its own address
 * space) at user address `address`, a write if `write`. A write to a page
 * mapped with PTE_COW: give the writer a copy of the frame (frame_alloc,
 * copy, map it writable without PTE_COW, frame_unref the shared one), or,
 * if the writer is its last owner (frame_refcount 1), make that page
 * writable again; VM_FAULT_COW. An unmapped page inside the heap
 * [heap_start, heap_end) or a region: map a zeroed frame with the region's
 * flags; VM_FAULT_LAZY. Anything else (unmapped, a read-only page that is not
 * PTE_COW, kernel addresses): VM_FAULT_BAD, changing nothing. VM_FAULT_OOM
 * when a frame was needed and none was left (nothing changed). setup.c calls
 * it for user page faults and for the user copies (user_set_fault_resolver),
 * with interrupts off, and counts the faults. */
enum vm_fault_result vm_fault(struct process *process, uintptr_t address, bool write);

/* Record the demand-zero region [start, end) (page aligned, start < end)
 * with `flags` in `process`, replacing whatever regions overlapped it (as
 * vm_region_remove). 0, or -ENOMEM if there is no free slot. */
int vm_region_add(struct process *process, uintptr_t start, uintptr_t end, uint64_t flags);

/* Forget [start, end) (page aligned) of every region of `process`, cutting
 * or splitting the regions it overlaps (pages already mapped stay: the
 * caller unmaps them). 0, or -ENOMEM if a split needed a free slot. */
int vm_region_remove(struct process *process, uintptr_t start, uintptr_t end);

/* The region of `process` holding `address`, or NULL. */
struct vm_region *vm_region_find(struct process *process, uintptr_t address);

/* Every copy-on-write and demand-zero fault setup.c counted since boot
 * (setup.c defines it). */
void vm_fault_totals(uint64_t *cow, uint64_t *lazy);

/* ---- syscall.c ------------------------------------------------------------ */

/* Linux x86_64 system call numbers this kernel serves. */
#define SYS_read            0
#define SYS_write           1
#define SYS_mmap            9
#define SYS_munmap          11
#define SYS_brk             12
#define SYS_ioctl           16
#define SYS_writev          20
#define SYS_getpid          39
#define SYS_fork            57
#define SYS_execve          59
#define SYS_exit            60
#define SYS_wait4           61
#define SYS_arch_prctl      158
#define SYS_set_tid_address 218
#define SYS_exit_group      231

/* Serve the system call in `frame` (number in RAX, arguments in RDI, RSI,
 * RDX, R10, R8, R9) and put the result in RAX: Linux's meaning for each
 * number above, -ENOSYS for any other. User pointers only through
 * copy_from_user / copy_to_user / strncpy_from_user. */
void syscall_handle(struct trap_frame *frame);

/* Linux system calls setup.c serves itself, before syscall_handle: they
 * report what the challenge part's tests measure. getrusage(RUSAGE_SELF)
 * gives ru_minflt = the caller's cow_faults + lazy_faults and ru_nivcsw =
 * the timer ticks that preempted its thread (the rest zero);
 * sysinfo gives freeram (frame_free_count() pages) and totalram in bytes. */
#define SYS_getrusage 98
#define SYS_sysinfo   99

/* Install syscall_handle for USER_SYSCALL_VECTOR and process_user_fault for
 * the exception vectors (page faults go to vm_fault first, then to
 * process_user_fault if it says VM_FAULT_BAD; VM_FAULT_OOM kills the process
 * with SIGKILL); make vm_fault the user copies' resolver; install the
 * reference page tables, frame allocator and round-robin scheduler and start
 * it. Called once. */
void lab5_start(void);

#endif
