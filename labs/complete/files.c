/* The complete kernel's files: the boot archive as a read-only root
 * directory (open, read, readv, lseek, close, getdents64), getppid and
 * gettid, and a process listing (Keel's system call 500, for ps), on top of
 * lab 5's system calls; descriptors are descriptors.c's. A run of
 * tools/keel-run (files_run_mode) also gets a standard input with an end:
 * the host's, packed into the boot archive, or the terminal with Ctrl-D. */
#include <keel/keel.h>
#include <lab5.h>

#include "complete.h"

#define SYS_open       2
#define SYS_close      3
#define SYS_lseek      8
#define SYS_ioctl      16
#define SYS_readv      19
#define SYS_getppid    110
#define SYS_gettid     186
#define SYS_getdents64 217
#define SYS_keel_ps    500
#define O_ACCMODE      3
#define O_DIRECTORY    0200000
#define O_CLOEXEC      02000000
#define PATH_MAX       4096 /* Linux's limits: a path, the NUL included, and one name */
#define NAME_MAX       255
#define MAX_IOVECS     1024
#define CTRL_D         0x04

/* Standard input of a keel.run run: a file (one position for every
 * process, as a pipe's) or, when the host's is a terminal, the console. */
static bool run_mode;
static struct open_file run_stdin;

void files_run_mode(const struct program_file *input)
{
    run_mode = true;
    run_stdin = (struct open_file){.refs = 1, .file = input};
}

/* Linux's access_ok, as lab 5's syscall.c checks it: [address, address +
 * size) lies below the end of user memory (USER_STACK_TOP, Linux's
 * TASK_SIZE). A call checks the whole buffer before anything else. */
static bool range_ok(uintptr_t address, size_t size)
{
    return size <= USER_STACK_TOP && address <= USER_STACK_TOP - size;
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
    return fd_open(file, flags & O_CLOEXEC);
}

static long sys_read_file(struct open_file *open, uintptr_t buffer, size_t count)
{
    if (!range_ok(buffer, count))
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

/* The terminal as a Linux terminal reads it: Enter ends a line, Ctrl-D at
 * the start of a read is the end of input. Waits for the first byte, then
 * takes what has already arrived. */
static long read_terminal(uintptr_t buffer, size_t count)
{
    char bytes[128];
    size_t n = 0;
    if (count > sizeof(bytes))
        count = sizeof(bytes);
    if (!user_access_ok(buffer, count, true))
        return -EFAULT; /* before waiting for input that could never be stored */
    while (n < count) {
        int c = console_getc();
        if (c < 0 && n > 0)
            break;
        if (c < 0) {
            thread_yield();
            continue;
        }
        if (c == CTRL_D)
            break;
        bytes[n++] = c == '\r' ? '\n' : (char)c;
        if (bytes[n - 1] == '\n')
            break;
    }
    return copy_to_user(buffer, bytes, n) < 0 ? -EFAULT : (long)n;
}

/* read(2) for the descriptors this file serves; *served false: lab 5's. */
static long read_served(int fd, uintptr_t buffer, size_t count, bool *served)
{
    *served = true;
    struct open_file *open;
    switch (fd_classify(fd, &open)) {
    case FD_FILE:
        return sys_read_file(open, buffer, count);
    case FD_CLOSED:
        return -EBADF;
    case FD_CONSOLE:
        break;
    }
    if (fd != 0 || !run_mode) {
        *served = false; /* the console outside a keel.run run: lab 5's */
        return -EBADF;
    }
    if (!range_ok(buffer, count))
        return -EFAULT; /* Linux checks the whole buffer first, as lab 5's read */
    return run_stdin.file ? sys_read_file(&run_stdin, buffer, count) : read_terminal(buffer, count);
}

/* readv(2): one read per buffer, up to the first short one. */
static long sys_readv(struct trap_frame *frame, int fd, uintptr_t vector, long count)
{
    if (count < 0 || count > MAX_IOVECS)
        return -EINVAL;
    struct trap_frame saved = *frame; /* lab 5's read below goes through it */
    long total = 0;
    for (long i = 0; i < count; i++) {
        uint64_t iov[2];
        if (copy_from_user(iov, vector + (uintptr_t)i * sizeof(iov), sizeof(iov)) < 0) {
            total = total ? total : -EFAULT;
            break;
        }
        if (iov[1] == 0)
            continue;
        bool served;
        long n = read_served(fd, iov[0], iov[1], &served);
        if (!served) { /* the console outside keel.run: lab 5's read */
            frame->rax = SYS_read;
            frame->rdi = (uint64_t)fd;
            frame->rsi = iov[0];
            frame->rdx = iov[1];
            syscall_handle(frame);
            n = (long)frame->rax;
            *frame = saved;
        }
        if (n <= 0 || (uint64_t)n < iov[1]) {
            total = n < 0 ? (total ? total : n) : total + n;
            break;
        }
        total += n;
    }
    return total;
}

/* One struct linux_dirent64 per entry: inode, offset, record length, type,
 * name; "." and ".." first (the root is its own parent), then the files. */
static long sys_getdents64(struct open_file *open, uintptr_t buffer, size_t count)
{
    if (open->file)
        return -ENOTDIR;
    if (!range_ok(buffer, count))
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

/* lseek as on a regular file (or, for the root directory, rewinding it):
 * SEEK_SET, SEEK_CUR, SEEK_END, and SEEK_DATA / SEEK_HOLE (a file without
 * holes: its data runs to its end). */
static long sys_lseek(struct open_file *open, int64_t offset, int whence)
{
    int64_t size = open->file ? (int64_t)open->file->size : 0, base;
    switch (whence) {
    case 0: /* SEEK_SET */
        base = 0;
        break;
    case 1: /* SEEK_CUR */
        base = (int64_t)open->position;
        break;
    case 2: /* SEEK_END */
        base = size;
        break;
    case 3: /* SEEK_DATA */
    case 4: /* SEEK_HOLE */
        if (!open->file)
            return -EINVAL;
        if ((uint64_t)offset >= (uint64_t)size)
            return -ENXIO; /* a negative offset too, as Linux */
        open->position = (size_t)(whence == 3 ? offset : size);
        return (long)open->position;
    default:
        return -EINVAL;
    }
    int64_t position;
    if (__builtin_add_overflow(base, offset, &position) || position < 0)
        return -EINVAL;
    if (!open->file && position != 0)
        return -EINVAL; /* a directory: only back to its start */
    open->position = (size_t)position;
    return (long)position;
}

static long sys_keel_ps(uintptr_t buffer, size_t size)
{
    static char text[2048];
    size_t count, used = 0;
    struct process *table = process_table(&count);
    /* COW and ZERO: the page faults copy-on-write and demand-zero memory
     * cost each process (lab 5's challenge part). */
    used += (size_t)ksnprintf(text, sizeof(text), "  PID  PPID  STATE       COW   ZERO  NAME\n");
    for (size_t i = 0; table && i < count && used < sizeof(text); i++) {
        struct process *p = &table[i];
        if (p->state == PROCESS_FREE)
            continue;
        used += (size_t)ksnprintf(
            text + used, sizeof(text) - used, "%5d %5d  %-8s %6lu %6lu  %s\n", p->pid,
            p->parent ? p->parent->pid : 0, p->state == PROCESS_ZOMBIE ? "zombie" : "running",
            (unsigned long)p->cow_faults, (unsigned long)p->lazy_faults, p->name);
    }
    uint64_t cow, lazy;
    vm_fault_totals(&cow, &lazy);
    if (used < sizeof(text))
        used += (size_t)ksnprintf(text + used, sizeof(text) - used,
                                  "page faults since boot: %lu copy-on-write, %lu demand-zero\n",
                                  (unsigned long)cow, (unsigned long)lazy);
    if (used < sizeof(text))
        used += (size_t)ksnprintf(text + used, sizeof(text) - used, "free memory: %lu KiB\n",
                                  (unsigned long)(frame_free_count() * (PAGE_SIZE / 1024)));
    if (used > sizeof(text))
        used = sizeof(text);
    if (used > size)
        used = size;
    return copy_to_user(buffer, text, used) < 0 ? -EFAULT : (long)used;
}

/* The handler lab5_start installed: it serves what this file does not. */
static trap_handler_t lab5_on_syscall;

static bool on_syscall(struct trap_frame *frame)
{
    if (!trap_from_user(frame))
        return false;
    if (frame->rax == SYS_fork) {
        fd_fork(frame); /* with interrupts off: see there */
        return true;
    }
    cpu_irq_enable();
    long result;
    struct open_file *open;
    int fd = (int)frame->rdi;
    switch (frame->rax) {
    case SYS_execve:
        fd_execve(frame);
        cpu_irq_disable();
        return true;
    case SYS_open:
        result = sys_open(frame->rdi, (int)frame->rsi);
        break;
    case SYS_close:
        result = fd_close(fd);
        break;
    case SYS_read: {
        bool served;
        result = read_served(fd, frame->rsi, frame->rdx, &served);
        if (!served)
            goto console;
        break;
    }
    case SYS_readv:
        result = sys_readv(frame, fd, frame->rsi, (long)frame->rdx);
        break;
    case SYS_write:
    case SYS_writev:
        if (fd_classify(fd, &open) == FD_CONSOLE)
            goto console;
        result = -EBADF; /* closed, or opened read-only */
        break;
    case SYS_ioctl:
        switch (fd_classify(fd, &open)) {
        case FD_CONSOLE:
            goto console;
        case FD_FILE:
            result = -ENOTTY;
            break;
        default:
            result = -EBADF;
        }
        break;
    case SYS_getdents64:
        switch (fd_classify(fd, &open)) {
        case FD_FILE:
            result = sys_getdents64(open, frame->rsi, frame->rdx);
            break;
        case FD_CONSOLE:
            result = -ENOTDIR;
            break;
        default:
            result = -EBADF;
        }
        break;
    case SYS_keel_ps:
        result = sys_keel_ps(frame->rdi, frame->rsi);
        break;
    case SYS_lseek:
        switch (fd_classify(fd, &open)) {
        case FD_FILE:
            result = sys_lseek(open, (int64_t)frame->rsi, (int)frame->rdx);
            break;
        case FD_CONSOLE:
            result = -ESPIPE;
            break;
        default:
            result = -EBADF;
        }
        break;
    case SYS_getppid: /* 0 for the kernel's own children, as Linux's for its first */
        result = process_current()->parent ? process_current()->parent->pid : 0;
        break;
    case SYS_gettid: /* one thread per process: its pid */
        result = process_current()->pid;
        break;
    default:
    console: /* lab 5's, through setup.c's handler (getrusage, sysinfo) */
        cpu_irq_disable();
        return lab5_on_syscall(frame);
    }
    frame->rax = (uint64_t)result;
    cpu_irq_disable();
    return true;
}

/* After lab5_start (main.c), whose handler this one passes calls on to;
 * once only, or it would pass them to itself. */
void files_install(void)
{
    trap_handler_t previous = trap_set_handler(USER_SYSCALL_VECTOR, on_syscall);
    if (previous == on_syscall || !previous)
        panic("files_install: call it once, after lab5_start");
    lab5_on_syscall = previous;
}
