/* Lab 5, part 3: system calls. (Reference solution.) */
#include "lab5.h"

#define ARCH_SET_FS   0x1002
#define ARCH_GET_FS   0x1003
#define MAP_PRIVATE   0x02
#define MAP_ANONYMOUS 0x20
#define PROT_WRITE    0x2
#define PROT_EXEC     0x4
#define MAX_ARGS      16
#define MAX_PATH      64

static long sys_write(int fd, uintptr_t buffer, size_t count)
{
    if (fd != 1 && fd != 2)
        return -EBADF;
    char chunk[128];
    for (size_t done = 0; done < count;) {
        size_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
        if (copy_from_user(chunk, buffer + done, n) < 0)
            return done ? (long)done : -EFAULT;
        console_write(chunk, n);
        done += n;
    }
    return (long)count;
}

static long sys_writev(int fd, uintptr_t vector, long count)
{
    if (count < 0 || count > 1024)
        return -EINVAL;
    long total = 0;
    for (long i = 0; i < count; i++) {
        uint64_t iov[2];
        if (copy_from_user(iov, vector + (uintptr_t)i * sizeof(iov), sizeof(iov)) < 0)
            return -EFAULT;
        long written = sys_write(fd, iov[0], iov[1]);
        if (written < 0)
            return written;
        total += written;
    }
    return total;
}

static long sys_read(int fd, uintptr_t buffer, size_t count)
{
    if (fd != 0)
        return -EBADF;
    if (count == 0)
        return 0;
    if (!user_access_ok(buffer, 1, true))
        return -EFAULT; /* before waiting for input that could never be stored */
    int c;
    while ((c = console_getc()) < 0)
        thread_yield();
    char byte = (char)c;
    return copy_to_user(buffer, &byte, 1) < 0 ? -EFAULT : 1;
}

/* Map zeroed pages over [start, end) for the calling process. */
static int map_anonymous(struct process *self, uintptr_t start, uintptr_t end, uint64_t flags)
{
    for (uintptr_t page = start; page < end; page += PAGE_SIZE) {
        phys_addr_t frame = frame_alloc_zeroed(0);
        if (!frame || vm_map(self->root, page, frame, flags | PTE_USER) < 0) {
            if (frame)
                frame_free(frame, 0);
            return -ENOMEM;
        }
    }
    return 0;
}

static void unmap_range(struct process *self, uintptr_t start, uintptr_t end)
{
    for (uintptr_t page = start; page < end; page += PAGE_SIZE) {
        phys_addr_t pa;
        if (pt_translate(self->root, page, &pa) && vm_unmap(self->root, page) == 0)
            frame_free(pa & ~(PAGE_SIZE - 1), 0);
    }
}

static long sys_brk(uintptr_t wanted)
{
    struct process *self = process_current();
    uintptr_t old_top = KEEL_ALIGN_UP(self->heap_end, PAGE_SIZE);
    if (wanted < self->heap_start || wanted >= USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)
        return (long)self->heap_end;
    uintptr_t new_top = KEEL_ALIGN_UP(wanted, PAGE_SIZE);
    if (new_top > old_top &&
        map_anonymous(self, old_top, new_top, PTE_WRITABLE | PTE_NO_EXECUTE) < 0) {
        unmap_range(self, old_top, new_top); /* what it mapped before running out */
        return (long)self->heap_end;
    }
    if (new_top < old_top)
        unmap_range(self, new_top, old_top);
    self->heap_end = wanted;
    return (long)wanted;
}

static long sys_mmap(uintptr_t address, size_t length, int prot, int flags, int fd)
{
    (void)address; /* a hint only: this kernel picks the place */
    if (!(flags & MAP_ANONYMOUS) || !(flags & MAP_PRIVATE) || fd != -1 || length == 0 ||
        length > (1ul << 32))
        return -EINVAL;
    struct process *self = process_current();
    uintptr_t start = self->mmap_next, end = start + KEEL_ALIGN_UP(length, PAGE_SIZE);
    uint64_t pte_flags =
        ((prot & PROT_WRITE) ? PTE_WRITABLE : 0) | ((prot & PROT_EXEC) ? 0 : PTE_NO_EXECUTE);
    if (map_anonymous(self, start, end, pte_flags) < 0) {
        unmap_range(self, start, end);
        return -ENOMEM;
    }
    self->mmap_next = end + PAGE_SIZE; /* leave a hole between mappings */
    return (long)start;
}

static long sys_munmap(uintptr_t address, size_t length)
{
    if (address % PAGE_SIZE || length == 0 || address >= USER_SPACE_END ||
        length > USER_SPACE_END - address)
        return -EINVAL;
    unmap_range(process_current(), address, address + KEEL_ALIGN_UP(length, PAGE_SIZE));
    return 0;
}

static long sys_execve(struct trap_frame *frame, uintptr_t path_address, uintptr_t argv_address)
{
    char path[MAX_PATH];
    long length = strncpy_from_user(path, path_address, sizeof(path));
    if (length < 0)
        return length == -E2BIG ? -ENOENT : length;
    static char strings[MAX_ARGS][MAX_PATH];
    const char *argv[MAX_ARGS + 1];
    int argc = 0;
    for (; argv_address && argc < MAX_ARGS; argc++) {
        uint64_t pointer;
        if (copy_from_user(&pointer, argv_address + (uintptr_t)argc * 8, 8) < 0)
            return -EFAULT;
        if (!pointer)
            break;
        if (strncpy_from_user(strings[argc], pointer, MAX_PATH) < 0)
            return -EFAULT;
        argv[argc] = strings[argc];
    }
    if (argc == MAX_ARGS)
        return -E2BIG;
    if (argc == 0)
        argv[argc++] = path;
    argv[argc] = NULL;
    const char *name = path[0] == '/' ? path + 1 : path;
    return process_exec(frame, name, argv);
}

void syscall_handle(struct trap_frame *frame)
{
    struct process *self = process_current();
    uint64_t a0 = frame->rdi, a1 = frame->rsi, a2 = frame->rdx, a3 = frame->r10, a4 = frame->r8;
    long result;
    switch (frame->rax) {
    case SYS_read:
        result = sys_read((int)a0, a1, a2);
        break;
    case SYS_write:
        result = sys_write((int)a0, a1, a2);
        break;
    case SYS_writev:
        result = sys_writev((int)a0, a1, (long)a2);
        break;
    case SYS_brk:
        result = sys_brk(a0);
        break;
    case SYS_mmap:
        result = sys_mmap(a0, a1, (int)a2, (int)a3, (int)a4);
        break;
    case SYS_munmap:
        result = sys_munmap(a0, a1);
        break;
    case SYS_getpid:
        result = self->pid;
        break;
    case SYS_fork:
        result = process_fork(frame);
        break;
    case SYS_execve:
        result = sys_execve(frame, a0, a1);
        if (result == 0)
            return; /* the frame now starts the new program */
        break;
    case SYS_wait4:
        result = process_wait_child((int)a0, a1);
        break;
    case SYS_exit:
    case SYS_exit_group:
        process_exit((int)((a0 & 0xff) << 8));
    case SYS_arch_prctl:
        if (a0 == ARCH_SET_FS)
            result = user_set_fs_base(a1);
        else if (a0 == ARCH_GET_FS) {
            uint64_t base = user_fs_base();
            result = copy_to_user(a1, &base, sizeof(base));
        } else
            result = -EINVAL;
        break;
    case SYS_set_tid_address:
        result = self->pid;
        break;
    case SYS_ioctl:
        result = -ENOTTY;
        break;
    default:
        result = -ENOSYS;
    }
    frame->rax = (uint64_t)result;
}
