/* The complete kernel's files: the boot archive as a read-only root
 * directory (open, read, close, getdents64) and a process listing (Keel's
 * system call 500, for ps), on top of lab 5's system calls. Descriptors
 * behave as Linux's: each process has its own numbers, lowest free first;
 * fork copies them and the copies share the file position; execve keeps
 * them, except those opened with O_CLOEXEC. 0, 1 and 2 are the console
 * (lab 5's read and write) until the process closes them. */
#include <keel/keel.h>
#include <lab5.h>

#include "complete.h"

#define SYS_open       2
#define SYS_close      3
#define SYS_ioctl      16
#define SYS_getdents64 217
#define SYS_keel_ps    500
#define O_ACCMODE      3
#define O_DIRECTORY    0200000
#define O_CLOEXEC      02000000
#define MAX_OPEN       32   /* open files, for all processes together */
#define MAX_FDS        128  /* descriptors, for all processes together */
#define FD_MAX         35   /* descriptors of one process: 0 … 34 */
#define CONSOLE_FDS    3    /* 0, 1 and 2 */
#define PATH_MAX       4096 /* Linux's limits: a path, the NUL included, and one name */
#define NAME_MAX       255
#define TASK_SIZE      (USER_SPACE_END - PAGE_SIZE) /* as lab 5's syscall.c */

/* An open file (Linux's "open file description"): what descriptors name. */
struct open_file {
    int refs;                        /* descriptors naming it; 0: free */
    const struct program_file *file; /* NULL: the root directory */
    size_t position;
};

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

/* What descriptor `fd` of the calling process is. */
enum kind { CLOSED, CONSOLE, FILE };

static enum kind classify(int fd, struct open_file **open)
{
    struct process *self = process_current();
    spin_lock(&files_lock);
    struct descriptor *d = self ? find(self->pid, fd) : NULL;
    *open = d ? d->open : NULL;
    spin_unlock(&files_lock);
    if (fd >= 0 && fd < CONSOLE_FDS && !d)
        return CONSOLE;
    return *open ? FILE : CLOSED;
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
 * this file). The caller holds files_lock. */
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
    if (!d && !(d = free_entry()))
        return -ENFILE;
    *d = (struct descriptor){pid, fd, close_on_exec, open};
    open->refs++;
    return fd;
}

/* Find `path` in the root directory as Linux would walk it: "", a missing
 * name, a name under a file, a name longer than NAME_MAX each fail as
 * there; "." and ".." stay at the root. *file is NULL for the root. */
static long resolve(const char *path, const struct program_file **file)
{
    if (!path[0])
        return -ENOENT;
    *file = NULL;
    for (const char *at = path; *at;) {
        const char *end = strchr(at, '/');
        size_t length = end ? (size_t)(end - at) : strlen(at);
        if (length > NAME_MAX)
            return -ENAMETOOLONG;
        if (length && *file)
            return -ENOTDIR; /* a name under a file */
        char name[NAME_MAX + 1];
        memcpy(name, at, length);
        name[length] = '\0';
        if (length && strcmp(name, ".") && strcmp(name, "..") && !(*file = programs_find(name)))
            return -ENOENT;
        at += length;
        if (*at == '/' && *file)
            return -ENOTDIR; /* "file/" */
        while (*at == '/')
            at++;
    }
    return 0;
}

static long sys_open(uintptr_t path_address, int flags)
{
    char *path = kmalloc(PATH_MAX);
    if (!path)
        return -ENOMEM;
    long result = strncpy_from_user(path, path_address, PATH_MAX);
    const struct program_file *file = NULL;
    if (result == -E2BIG)
        result = -ENAMETOOLONG;
    if (result >= 0)
        result = resolve(path, &file);
    kfree(path);
    if (result < 0)
        return result;
    if ((flags & O_ACCMODE) != 0)
        return file ? -EROFS : -EISDIR; /* read-only (Linux: EROFS; a directory: EISDIR) */
    if ((flags & O_DIRECTORY) && file)
        return -ENOTDIR;
    spin_lock(&files_lock);
    sweep();
    result = -ENFILE;
    for (int i = 0; i < MAX_OPEN && result == -ENFILE; i++) {
        if (open_files[i].refs == 0) {
            open_files[i] = (struct open_file){0, file, 0};
            result = install(process_current()->pid, &open_files[i], flags & O_CLOEXEC);
        }
    }
    spin_unlock(&files_lock);
    return result;
}

static long sys_close(int fd)
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
static void sys_fork(struct trap_frame *frame)
{
    struct process *self = process_current();
    syscall_handle(frame);
    long child = (long)frame->rax;
    if (child <= 0)
        return;
    spin_lock(&files_lock);
    sweep();
    for (int i = 0; i < MAX_FDS; i++) {
        struct descriptor *copy = descriptors[i].pid == self->pid ? free_entry() : NULL;
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
static void sys_execve(struct trap_frame *frame)
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

static long sys_read_file(struct open_file *open, uintptr_t buffer, size_t count)
{
    if (count > TASK_SIZE || buffer > TASK_SIZE - count)
        return -EFAULT; /* Linux's access_ok, before anything else */
    if (!open->file)
        return -EISDIR;
    size_t left = open->file->size - open->position;
    size_t n = count < left ? count : left, done = 0;
    /* A page at a time: a buffer running into a bad page gets what fits. */
    while (done < n) {
        size_t chunk = PAGE_SIZE - ((buffer + done) % PAGE_SIZE);
        chunk = chunk < n - done ? chunk : n - done;
        const uint8_t *from = (const uint8_t *)open->file->data + open->position;
        if (copy_to_user(buffer + done, from, chunk) < 0)
            break;
        open->position += chunk;
        done += chunk;
    }
    return done || !n ? (long)done : -EFAULT;
}

/* One struct linux_dirent64 per entry: inode, offset, record length, type,
 * name; "." and ".." first (the root is its own parent), then the files. */
static long sys_getdents64(struct open_file *open, uintptr_t buffer, size_t count)
{
    if (open->file)
        return -ENOTDIR;
    if (count > TASK_SIZE || buffer > TASK_SIZE - count)
        return -EFAULT;
    size_t written = 0;
    for (; open->position < programs_count() + 2; open->position++) {
        bool dot = open->position < 2;
        const char *name = open->position == 0   ? "."
                           : open->position == 1 ? ".."
                                                 : programs_get(open->position - 2)->name;
        size_t name_length = strlen(name);
        size_t record = KEEL_ALIGN_UP(19 + name_length + 1, 8);
        if (written + record > count) {
            if (!written)
                return -EINVAL; /* not even one entry fits */
            break;
        }
        uint8_t entry[19 + PROGRAM_NAME_MAX + 8] = {0};
        uint64_t inode = open->position + 1, next = open->position + 1;
        uint16_t length = (uint16_t)record;
        memcpy(entry, &inode, 8);
        memcpy(entry + 8, &next, 8);
        memcpy(entry + 16, &length, 2);
        entry[18] = dot ? 4 : 8; /* DT_DIR, DT_REG */
        memcpy(entry + 19, name, name_length + 1);
        if (copy_to_user(buffer + written, entry, record) < 0)
            return -EFAULT;
        written += record;
    }
    return (long)written;
}

static long sys_keel_ps(uintptr_t buffer, size_t size)
{
    static char text[2048];
    size_t count, used = 0;
    struct process *table = process_table(&count);
    used += (size_t)ksnprintf(text, sizeof(text), "  PID  PPID  STATE    NAME\n");
    for (size_t i = 0; table && i < count && used < sizeof(text); i++) {
        struct process *p = &table[i];
        if (p->state == PROCESS_FREE)
            continue;
        used += (size_t)ksnprintf(text + used, sizeof(text) - used, "%5d %5d  %-8s %s\n", p->pid,
                                  p->parent ? p->parent->pid : 0,
                                  p->state == PROCESS_ZOMBIE ? "zombie" : "running", p->name);
    }
    if (used > sizeof(text))
        used = sizeof(text);
    if (used > size)
        used = size;
    return copy_to_user(buffer, text, used) < 0 ? -EFAULT : (long)used;
}

static bool on_syscall(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    if (frame->rax == SYS_fork) {
        sys_fork(frame); /* with interrupts off: see there */
        return true;
    }
    cpu_irq_enable();
    long result;
    struct open_file *open;
    int fd = (int)frame->rdi;
    switch (frame->rax) {
    case SYS_execve:
        sys_execve(frame);
        cpu_irq_disable();
        return true;
    case SYS_open:
        result = sys_open(frame->rdi, (int)frame->rsi);
        break;
    case SYS_close:
        result = sys_close(fd);
        break;
    case SYS_read:
        switch (classify(fd, &open)) {
        case CONSOLE:
            goto console;
        case FILE:
            result = sys_read_file(open, frame->rsi, frame->rdx);
            break;
        default:
            result = -EBADF;
        }
        break;
    case SYS_write:
    case SYS_writev:
        if (classify(fd, &open) == CONSOLE)
            goto console;
        result = -EBADF; /* closed, or opened read-only */
        break;
    case SYS_ioctl:
        switch (classify(fd, &open)) {
        case CONSOLE:
            goto console;
        case FILE:
            result = -ENOTTY;
            break;
        default:
            result = -EBADF;
        }
        break;
    case SYS_getdents64:
        switch (classify(fd, &open)) {
        case FILE:
            result = sys_getdents64(open, frame->rsi, frame->rdx);
            break;
        case CONSOLE:
            result = -ENOTDIR;
            break;
        default:
            result = -EBADF;
        }
        break;
    case SYS_keel_ps:
        result = sys_keel_ps(frame->rdi, frame->rsi);
        break;
    default:
    console: /* lab 5's */
        syscall_handle(frame);
        cpu_irq_disable();
        return true;
    }
    frame->rax = (uint64_t)result;
    cpu_irq_disable();
    return true;
}

void files_install(void)
{
    trap_set_handler(USER_SYSCALL_VECTOR, on_syscall);
}
