/* Lab 5, part 2: the process table. (Reference solution.) */
#include "lab5.h"

#define SIGTRAP   5
#define SIGILL    4
#define SIGFPE    8
#define SIGSEGV   11
#define MMAP_BASE 0x0000100000000000ul

static struct process table[PROCESS_MAX];
static struct spinlock table_lock = SPINLOCK_INIT("process table");
static int next_pid = 1;

struct process *process_table(size_t *count)
{
    *count = PROCESS_MAX;
    return table;
}

struct process *process_current(void)
{
    struct thread *self = thread_current();
    for (int i = 0; self && i < PROCESS_MAX; i++)
        if (table[i].state != PROCESS_FREE && table[i].thread == self)
            return &table[i];
    return NULL;
}

static int reap(struct process *process);

/* Free every orphan (a process whose parent exited before it: nobody will
 * wait for it) that has ended, as Linux's init reaps those it inherits.
 * The caller holds table_lock. */
static void reap_orphans(void)
{
    for (int i = 0; i < PROCESS_MAX; i++)
        if (table[i].orphan && table[i].state == PROCESS_ZOMBIE &&
            table[i].thread->state == THREAD_DEAD)
            reap(&table[i]);
}

static struct process *allocate(const char *name, struct process *parent)
{
    spin_lock(&table_lock);
    reap_orphans();
    struct process *process = NULL;
    for (int i = 0; i < PROCESS_MAX && !process; i++)
        if (table[i].state == PROCESS_FREE)
            process = &table[i];
    if (process) {
        memset(process, 0, sizeof(*process));
        process->pid = next_pid++;
        process->state = PROCESS_RUNNING;
        process->parent = parent;
        strlcpy(process->name, name, sizeof(process->name));
        wait_queue_init(&process->child_exits);
        process->mmap_next = MMAP_BASE;
    }
    spin_unlock(&table_lock);
    return process;
}

/* Free every user page and page table of `root`, then root itself. A page
 * shared copy-on-write is freed by its last owner (frame_unref). */
static void free_tables(phys_addr_t table, int level)
{
    pte_t *entries = pt_table(table);
    unsigned count = level == 4 ? PT_ENTRIES / 2 : PT_ENTRIES; /* never the kernel half */
    for (unsigned i = 0; i < count; i++) {
        if (!pte_present(entries[i]))
            continue;
        if (level > 1)
            free_tables(pte_address(entries[i]), level - 1);
        else
            frame_unref(pte_address(entries[i]));
    }
    frame_free(table, 0);
}

static void free_address_space(phys_addr_t root)
{
    if (root && root != paging_current_root())
        free_tables(root, 4);
}

/* The first thing a process's thread does: enter its program. */
struct start {
    uintptr_t entry, stack;
    bool outside; /* elf_load said -EFAULT: Linux kills such a program with SIGSEGV */
};

/* Kill the calling process for a program it cannot run, as Linux does. */
static KEEL_NORETURN void kill_unloadable(struct process *self, const char *path)
{
    kprintf("process %d (%s) killed by signal %d (segmentation fault): \"%s\" has its entry "
            "point or a segment outside user memory\n",
            self->pid, self->name, SIGSEGV, path);
    process_exit(SIGSEGV);
}

static void enter_program(void *arg)
{
    struct process *self = process_current();
    struct start *start = arg;
    uintptr_t entry = start->entry, stack = start->stack;
    bool outside = start->outside;
    kfree(start);
    if (outside)
        kill_unloadable(self, self->name);
    paging_switch(self->root);
    user_enter(entry, stack, 0, thread_current()->framework.stack_top);
}

/* Build a fresh address space for `path`; 0 and the entry/stack on success. */
static int build(const char *path, const char *const argv[], const char *const envp[],
                 phys_addr_t *root_out, uintptr_t *entry, uintptr_t *stack, uintptr_t *heap)
{
    const struct program_file *file = programs_find(path);
    if (!file)
        return -ENOENT;
    phys_addr_t root = paging_new_root();
    if (!root)
        return -ENOMEM;
    struct elf_info info;
    int result = elf_load(root, file->data, file->size, &info);
    uintptr_t sp = result == 0 ? stack_setup(root, argv, envp, &info) : 0;
    if (result == 0 && sp == 0)
        result = -ENOMEM;
    if (result < 0) {
        free_tables(root, 4);
        return result;
    }
    *root_out = root;
    *entry = info.entry;
    *stack = sp;
    *heap = info.image_end;
    return 0;
}

struct process *process_spawn(const char *path, const char *const argv[])
{
    static const char *const environment[] = {"PATH=/", "HOME=/", NULL};
    struct process *process = allocate(path, process_current());
    if (!process)
        return NULL;
    struct start *start = kzalloc(sizeof(*start));
    int result = start ? build(path, argv, environment, &process->root, &start->entry,
                               &start->stack, &process->heap_start)
                       : -ENOMEM;
    if (result == -EFAULT) { /* started only to be killed, as on Linux */
        start->outside = true;
        process->root = paging_new_root();
        result = process->root ? 0 : -ENOMEM;
    }
    if (result < 0) {
        kfree(start);
        process->state = PROCESS_FREE;
        return NULL;
    }
    process->heap_end = process->heap_start;
    struct thread *thread = thread_new(path, enter_program, start);
    if (!thread) {
        free_address_space(process->root);
        kfree(start);
        process->state = PROCESS_FREE;
        return NULL;
    }
    /* Made ready only once it is in the table, so process_current finds it. */
    process->thread = thread;
    thread->address_space = process->root;
    irq_push_off();
    thread_make_ready(thread);
    irq_pop_off();
    return process;
}

void process_exit(int wait_status)
{
    struct process *self = process_current();
    if (!self)
        panic("process_exit from a kernel thread");
    /* Children left behind are orphans: the ones that have ended are freed
     * now, the others when they end (reap_orphans). */
    spin_lock(&table_lock);
    for (int i = 0; i < PROCESS_MAX; i++) {
        if (table[i].state != PROCESS_FREE && table[i].parent == self) {
            table[i].parent = NULL;
            table[i].orphan = true;
        }
    }
    reap_orphans();
    self->wait_status = wait_status;
    self->state = PROCESS_ZOMBIE;
    if (self->parent)
        wait_wake_all(&self->parent->child_exits);
    irq_push_off();
    spin_unlock(&table_lock);
    thread_current()->state = THREAD_DEAD;
    schedule();
    panic("process %d ran after exiting", self->pid);
}

/* Free a zombie. The caller holds table_lock. */
static int reap(struct process *process)
{
    int status = process->wait_status;
    free_address_space(process->root);
    thread_free(process->thread);
    process->state = PROCESS_FREE;
    return status;
}

int process_wait(struct process *process)
{
    spin_lock(&table_lock);
    while (process->state != PROCESS_ZOMBIE || process->thread->state != THREAD_DEAD) {
        spin_unlock(&table_lock);
        thread_yield();
        spin_lock(&table_lock);
    }
    int status = reap(process);
    spin_unlock(&table_lock);
    return status;
}

long process_wait_child(int pid, uintptr_t status_address)
{
    struct process *self = process_current();
    spin_lock(&table_lock);
    reap_orphans();
    for (;;) {
        bool any = false;
        for (int i = 0; i < PROCESS_MAX; i++) {
            struct process *child = &table[i];
            if (child->state == PROCESS_FREE || child->parent != self ||
                (pid != -1 && child->pid != pid))
                continue;
            any = true;
            if (child->state == PROCESS_ZOMBIE && child->thread->state == THREAD_DEAD) {
                int child_pid = child->pid, status = child->wait_status;
                reap(child);
                spin_unlock(&table_lock);
                if (status_address && copy_to_user(status_address, &status, sizeof(status)) < 0)
                    return -EFAULT;
                return child_pid;
            }
        }
        if (!any) {
            spin_unlock(&table_lock);
            return -ECHILD;
        }
        wait_sleep(&self->child_exits, &table_lock);
    }
}

static void start_forked_child(void *frame)
{
    struct trap_frame copy = *(struct trap_frame *)frame;
    kfree(frame);
    paging_switch(process_current()->root);
    user_return(&copy);
}

/* Map the parent's page at `va` (entry *e1) into the child too: one more
 * owner of its frame; a writable page becomes read-only and PTE_COW in both,
 * so the first write of either copies it (vm_fault). */
static int share_page(phys_addr_t parent, phys_addr_t child, uintptr_t va, const pte_t *e1)
{
    if (!pte_present(*e1))
        return 0;
    uint64_t flags = *e1 & (PTE_WRITABLE | PTE_USER | PTE_NO_EXECUTE | PTE_COW);
    if (flags & PTE_WRITABLE) {
        flags = (flags & ~PTE_WRITABLE) | PTE_COW;
        if (vm_protect(parent, va, flags) < 0)
            return -ENOMEM;
    }
    phys_addr_t frame = pte_address(*e1);
    if (vm_map(child, va, frame, flags) < 0)
        return -ENOMEM;
    frame_ref(frame);
    return 0;
}

long process_fork(const struct trap_frame *frame)
{
    struct process *parent = process_current();
    struct process *child = allocate(parent->name, parent);
    if (!child)
        return -EAGAIN;
    child->root = paging_new_root();
    struct trap_frame *child_frame = kmalloc(sizeof(*child_frame));
    bool ok = child->root && child_frame;
    /* Share every user page: writable ones become copy-on-write in both. */
    for (uintptr_t i4 = 0; ok && i4 < PT_ENTRIES / 2; i4++) {
        pte_t e4 = pt_table(parent->root)[i4];
        if (!pte_present(e4))
            continue;
        for (uintptr_t i3 = 0; ok && i3 < PT_ENTRIES; i3++) {
            pte_t e3 = pt_table(pte_address(e4))[i3];
            if (!pte_present(e3))
                continue;
            for (uintptr_t i2 = 0; ok && i2 < PT_ENTRIES; i2++) {
                pte_t e2 = pt_table(pte_address(e3))[i2];
                if (!pte_present(e2))
                    continue;
                for (uintptr_t i1 = 0; ok && i1 < PT_ENTRIES; i1++)
                    ok = share_page(parent->root, child->root,
                                    (i4 << 39) | (i3 << 30) | (i2 << 21) | (i1 << 12),
                                    &pt_table(pte_address(e2))[i1]) == 0;
            }
        }
    }
    struct thread *thread = ok ? thread_new(parent->name, start_forked_child, child_frame) : NULL;
    if (!thread) {
        kfree(child_frame);
        free_address_space(child->root);
        child->state = PROCESS_FREE;
        return -ENOMEM;
    }
    *child_frame = *frame;
    child_frame->rax = 0; /* fork returns 0 in the child */
    child->heap_start = parent->heap_start;
    child->heap_end = parent->heap_end;
    child->mmap_next = parent->mmap_next;
    memcpy(child->regions, parent->regions, sizeof(child->regions));
    child->thread = thread;
    thread->address_space = child->root;
    thread->fs_base = thread_current()->fs_base;
    irq_push_off();
    thread_make_ready(thread);
    irq_pop_off();
    return child->pid;
}

long process_exec(struct trap_frame *frame, const char *path, const char *const argv[],
                  const char *const envp[])
{
    struct process *self = process_current();
    phys_addr_t root;
    uintptr_t entry, stack, heap;
    int result = build(path, argv, envp, &root, &entry, &stack, &heap);
    if (result == -EFAULT)
        kill_unloadable(self, path); /* Linux finds out past the point of no return */
    if (result < 0)
        return result;
    phys_addr_t old = self->root;
    self->root = root;
    thread_current()->address_space = root;
    paging_switch(root);
    free_tables(old, 4);
    strlcpy(self->name, path, sizeof(self->name));
    self->heap_start = self->heap_end = heap;
    self->mmap_next = MMAP_BASE;
    memset(self->regions, 0, sizeof(self->regions));
    memset(frame, 0, __builtin_offsetof(struct trap_frame, vector));
    frame->rip = entry;
    frame->rsp = stack;
    thread_current()->fs_base = 0;
    user_set_fs_base(0);
    return 0;
}

bool process_user_fault(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    struct process *self = process_current();
    int signal = SIGSEGV;
    const char *what = "segmentation fault";
    if (frame->vector == TRAP_INVALID_OPCODE) {
        signal = SIGILL;
        what = "illegal instruction";
    } else if (frame->vector == TRAP_DIVIDE_ERROR) {
        signal = SIGFPE;
        what = "floating-point exception";
    } else if (frame->vector == TRAP_BREAKPOINT) {
        signal = SIGTRAP;
        what = "trace trap";
    }
    kprintf("process %d (%s) killed by signal %d (%s): %s at %#lx\n", self ? self->pid : -1,
            self ? self->name : "?", signal, what, trap_name((unsigned)frame->vector), frame->rip);
    if (!self)
        return false;
    process_exit(signal);
}
