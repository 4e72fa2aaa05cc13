/* The complete kernel's files: the boot archive as a read-only root
 * directory (open, read, readv, close, getdents64) and a process listing
 * (Keel's system call 500, for ps), on top of lab 5's system calls. A run of
 * tools/keel-run (files_run_mode) also gets a standard input with an end:
 * the host's, packed into the boot archive, or the terminal with Ctrl-D. */
#include <keel/keel.h>
#include <lab5.h>

#include "complete.h"

#define SYS_open       2
#define SYS_close      3
#define SYS_readv      19
#define SYS_getdents64 217
#define SYS_keel_ps    500
#define O_ACCMODE      3
#define MAX_OPEN       32
#define FIRST_FD       3
#define MAX_IOVECS     1024
#define CTRL_D         0x04

struct open_file {
    int pid;                         /* 0: free */
    const struct program_file *file; /* NULL: the root directory */
    size_t position;
};

static struct open_file open_files[MAX_OPEN];

/* Standard input of a keel.run run: a file (one position for every
 * process, as a pipe's) or, when the host's is a terminal, the console. */
static bool run_mode;
static struct open_file run_stdin;

void files_run_mode(const struct program_file *input)
{
    run_mode = true;
    run_stdin = (struct open_file){.pid = -1, .file = input};
}

static struct open_file *lookup(int fd)
{
    struct process *self = process_current();
    if (!self || fd < FIRST_FD || fd >= FIRST_FD + MAX_OPEN)
        return NULL;
    struct open_file *open = &open_files[fd - FIRST_FD];
    return open->pid == self->pid ? open : NULL;
}

/* A slot is free again once its process has exited (a zombie counts: as on
 * Linux, a process's files close when it exits, not when it is reaped): a
 * process may exit, or be killed, without closing what it opened. */
static bool slot_free(const struct open_file *open)
{
    size_t count;
    struct process *table = process_table(&count);
    for (size_t i = 0; open->pid && table && i < count; i++)
        if (table[i].state == PROCESS_RUNNING && table[i].pid == open->pid)
            return false;
    return true;
}

static long sys_open(uintptr_t path_address, int flags)
{
    char path[PROGRAM_NAME_MAX + 1];
    long length = strncpy_from_user(path, path_address, sizeof(path));
    if (length < 0)
        return length == -E2BIG ? -ENOENT : length;
    if ((flags & O_ACCMODE) != 0)
        return -EPERM; /* read-only */
    const char *name = path[0] == '/' ? path + 1 : path;
    const struct program_file *file = NULL;
    if (name[0] && strcmp(name, ".") != 0 && !(file = programs_find(name)))
        return -ENOENT;
    for (int i = 0; i < MAX_OPEN; i++) {
        if (slot_free(&open_files[i])) {
            open_files[i] = (struct open_file){process_current()->pid, file, 0};
            return FIRST_FD + i;
        }
    }
    return -EAGAIN;
}

static long sys_read_file(struct open_file *open, uintptr_t buffer, size_t count)
{
    if (!open->file)
        return -EISDIR;
    size_t left = open->file->size - open->position;
    size_t n = count < left ? count : left;
    if (copy_to_user(buffer, (const uint8_t *)open->file->data + open->position, n) < 0)
        return -EFAULT;
    open->position += n;
    return (long)n;
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
    if (fd >= FIRST_FD) {
        struct open_file *open = lookup(fd);
        return open ? sys_read_file(open, buffer, count) : -EBADF;
    }
    if (fd == 0 && run_mode && count == 0)
        return 0;
    if (fd == 0 && run_mode && run_stdin.file)
        return sys_read_file(&run_stdin, buffer, count);
    if (fd == 0 && run_mode)
        return read_terminal(buffer, count);
    *served = false;
    return -EBADF;
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

/* One struct linux_dirent64 per file: inode, offset, record length, type,
 * name. */
static long sys_getdents64(struct open_file *open, uintptr_t buffer, size_t count)
{
    if (open->file)
        return -ENOTDIR;
    size_t written = 0;
    for (; open->position < programs_count(); open->position++) {
        const struct program_file *file = programs_get(open->position);
        size_t name_length = strlen(file->name);
        size_t record = KEEL_ALIGN_UP(19 + name_length + 1, 8);
        if (written + record > count)
            break;
        uint8_t entry[19 + PROGRAM_NAME_MAX + 8] = {0};
        uint64_t inode = open->position + 1, next = open->position + 1;
        uint16_t length = (uint16_t)record;
        memcpy(entry, &inode, 8);
        memcpy(entry + 8, &next, 8);
        memcpy(entry + 16, &length, 2);
        entry[18] = 8; /* DT_REG */
        memcpy(entry + 19, file->name, name_length + 1);
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
    if (used < sizeof(text))
        used += (size_t)ksnprintf(text + used, sizeof(text) - used, "free memory: %lu KiB\n",
                                  (unsigned long)(frame_free_count() * (PAGE_SIZE / 1024)));
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
    cpu_irq_enable();
    long result;
    struct open_file *open;
    switch (frame->rax) {
    case SYS_open:
        result = sys_open(frame->rdi, (int)frame->rsi);
        break;
    case SYS_close:
        open = lookup((int)frame->rdi);
        result = open ? (open->pid = 0) : -EBADF;
        break;
    case SYS_getdents64:
        open = lookup((int)frame->rdi);
        result = open ? sys_getdents64(open, frame->rsi, frame->rdx) : -EBADF;
        break;
    case SYS_keel_ps:
        result = sys_keel_ps(frame->rdi, frame->rsi);
        break;
    case SYS_readv:
        result = sys_readv(frame, (int)frame->rdi, frame->rsi, (long)frame->rdx);
        break;
    case SYS_read: {
        bool served;
        result = read_served((int)frame->rdi, frame->rsi, frame->rdx, &served);
        if (served)
            break;
    }
        __attribute__((fallthrough)); /* the console: lab 5's */
    default:
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
