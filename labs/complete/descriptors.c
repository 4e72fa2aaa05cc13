/* The complete kernel's file descriptors, as Linux's: each process has its
 * own numbers, lowest free first; fork copies them and the copies share the
 * open file (and its position); execve keeps them, except those opened with
 * O_CLOEXEC. 0, 1 and 2 are the console (lab 5's read and write) until the
 * process closes them. The files themselves are files.c's. */
#include <keel/keel.h>
#include <lab5.h>

#include "complete.h"

#define MAX_OPEN    32  /* open files, for all processes together */
#define MAX_FDS     128 /* descriptors, for all processes together */
#define FD_MAX      35  /* descriptors of one process: 0 … 34 */
#define CONSOLE_FDS 3   /* 0, 1 and 2 */

/* One process's descriptor `fd`. Descriptors 0 to 2 are the console when
 * the process has no entry for them, and closed when its entry names no
 * file (open NULL). */
struct descriptor {
    int pid; /* 0: a free entry */
    int fd;
    bool close_on_exec;
    struct open_file *open;
};

static struct open_file open_files[MAX_OPEN];
static struct descriptor descriptors[MAX_FDS];
static struct spinlock files_lock = SPINLOCK_INIT("files");

static struct descriptor *find(int pid, int fd)
{
    for (int i = 0; i < MAX_FDS; i++)
        if (descriptors[i].pid && descriptors[i].pid == pid && descriptors[i].fd == fd)
            return &descriptors[i];
    return NULL;
}

static struct descriptor *free_entry(void)
{
    for (int i = 0; i < MAX_FDS; i++)
        if (!descriptors[i].pid)
            return &descriptors[i];
    return NULL;
}

enum fd_kind fd_classify(int fd, struct open_file **open)
{
    struct process *self = process_current();
    spin_lock(&files_lock);
    struct descriptor *d = self ? find(self->pid, fd) : NULL;
    *open = d ? d->open : NULL;
    spin_unlock(&files_lock);
    if (fd >= 0 && fd < CONSOLE_FDS && !d)
        return FD_CONSOLE;
    return *open ? FD_FILE : FD_CLOSED;
}

/* Close the descriptor in entry `d` (0 to 2 stay as closed markers). */
static void drop(struct descriptor *d)
{
    if (d->open)
        d->open->refs--;
    d->open = NULL;
    if (d->fd >= CONSOLE_FDS)
        d->pid = 0;
}

/* Free the descriptors of processes that have ended (exit does not tell
 * this file): only when a table is full, since pids are never reused and a
 * dead process's entries only take up room. The caller holds files_lock. */
static void sweep(void)
{
    size_t count;
    struct process *table = process_table(&count);
    for (int i = 0; i < MAX_FDS; i++) {
        bool alive = false;
        for (size_t p = 0; descriptors[i].pid && p < count && !alive; p++)
            alive = table[p].pid == descriptors[i].pid && table[p].state == PROCESS_RUNNING;
        if (descriptors[i].pid && !alive) {
            drop(&descriptors[i]);
            descriptors[i].pid = 0;
        }
    }
}

/* A new descriptor of process `pid` for `open` (which gains a reference):
 * the lowest free number. -EMFILE / -ENFILE when full. The caller holds
 * files_lock. */
static long install(int pid, struct open_file *open, bool close_on_exec)
{
    int fd = 0;
    struct descriptor *d = NULL;
    for (; fd < FD_MAX; fd++) {
        d = find(pid, fd);
        if (fd < CONSOLE_FDS ? d && !d->open : !d)
            break; /* a closed 0 to 2 (its marker is reused), or a number never used */
    }
    if (fd == FD_MAX)
        return -EMFILE;
    if (!d && !(d = free_entry())) {
        sweep(); /* the table is full: some entries may be the dead's */
        if (!(d = free_entry()))
            return -ENFILE;
    }
    *d = (struct descriptor){pid, fd, close_on_exec, open};
    open->refs++;
    return fd;
}

long fd_open(const struct program_file *file, bool close_on_exec)
{
    long result = -ENFILE;
    spin_lock(&files_lock);
    for (int pass = 0; pass < 2 && result == -ENFILE; pass++) {
        if (pass)
            sweep(); /* every open file taken: some may be the dead's */
        for (int i = 0; i < MAX_OPEN && result == -ENFILE; i++) {
            if (open_files[i].refs == 0) {
                open_files[i] = (struct open_file){0, file, 0};
                result = install(process_current()->pid, &open_files[i], close_on_exec);
            }
        }
    }
    spin_unlock(&files_lock);
    return result;
}

long fd_close(int fd)
{
    struct process *self = process_current();
    long result = -EBADF;
    spin_lock(&files_lock);
    struct descriptor *d = find(self->pid, fd);
    if (d && d->open) {
        drop(d);
        result = 0;
    } else if (!d && fd >= 0 && fd < CONSOLE_FDS) {
        /* The console: from now on a closed marker. */
        d = free_entry();
        if (d)
            *d = (struct descriptor){self->pid, fd, false, NULL};
        result = d ? 0 : -ENOMEM;
    }
    spin_unlock(&files_lock);
    return result;
}

/* fork, with the descriptors copied to the child. Interrupts stay off from
 * the fork to the copy, so the child cannot run before it has them. */
void fd_fork(struct trap_frame *frame)
{
    struct process *self = process_current();
    syscall_handle(frame);
    long child = (long)frame->rax;
    if (child <= 0)
        return;
    spin_lock(&files_lock);
    for (int i = 0; i < MAX_FDS; i++) {
        struct descriptor *copy = NULL;
        if (descriptors[i].pid == self->pid && !(copy = free_entry())) {
            sweep(); /* the table is full: some entries may be the dead's */
            copy = free_entry();
        }
        if (copy) {
            *copy = descriptors[i];
            copy->pid = (int)child;
            if (copy->open)
                copy->open->refs++;
        } else if (descriptors[i].pid == self->pid) {
            kprintf("keel: fork: no room for descriptor %d of the child %ld\n", descriptors[i].fd,
                    child);
        }
    }
    spin_unlock(&files_lock);
}

/* execve; on success the descriptors opened with O_CLOEXEC are closed. */
void fd_execve(struct trap_frame *frame)
{
    struct process *self = process_current();
    phys_addr_t old_root = self->root;
    syscall_handle(frame);
    if (self->root == old_root)
        return; /* it failed: the old program goes on */
    spin_lock(&files_lock);
    for (int i = 0; i < MAX_FDS; i++)
        if (descriptors[i].pid == self->pid && descriptors[i].close_on_exec)
            drop(&descriptors[i]);
    spin_unlock(&files_lock);
}
