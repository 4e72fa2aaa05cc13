/* Lab 5, part 3: system calls. (Reference solution.) */
#include "lab5.h"

#define ARCH_SET_FS   0x1002
#define ARCH_GET_FS   0x1003
#define MAP_PRIVATE   0x02
#define MAP_TYPE      0x0f
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define PROT_READ     0x1
#define PROT_WRITE    0x2
#define PROT_EXEC     0x4
#define WNOHANG       1
#define WAIT_OPTIONS  0xe000000bul /* WNOHANG WUNTRACED WCONTINUED __WNOTHREAD __WALL __WCLONE */
#define WAIT_ALL      0x40000000ul /* __WALL */
#define WAIT_CLONE    0x80000000ul /* __WCLONE */
#define RUSAGE_SIZE   144
#define MAX_PATH      4096         /* Linux's PATH_MAX, the NUL included */
#define MAX_ARG_LEN   (32 * 4096)  /* Linux's MAX_ARG_STRLEN: one argument, the NUL included */
#define MAX_ARG_TOTAL (256 * 1024) /* argv and envp: strings and pointers (Linux allows more) */
#define MAX_RW_COUNT  0x7ffff000ul /* the most one read or write moves, as Linux */
/* The end of what Linux lets a program use (TASK_SIZE_MAX), where lab5.h's
 * user memory ends: the last user page is never mapped, and any range
 * reaching into it is refused. */
#define TASK_SIZE USER_STACK_TOP

/* Linux's access_ok: [address, address + size) lies below TASK_SIZE. A
 * system call checks the whole buffer first, so a range that wraps or
 * reaches the kernel fails with -EFAULT even where a copy would not start. */
static bool range_ok(uintptr_t address, size_t size)
{
    return size <= TASK_SIZE && address <= TASK_SIZE - size;
}

static long sys_write(int fd, uintptr_t buffer, size_t count)
{
    if (fd != 1 && fd != 2)
        return -EBADF;
    if (!range_ok(buffer, count))
        return -EFAULT;
    if (count > MAX_RW_COUNT)
        count = MAX_RW_COUNT;
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

/* As Linux: the descriptor, then the count, then every element (a length
 * that is negative as ssize_t: -EINVAL; a bad range: -EFAULT) before any
 * byte is written; a fault part-way returns what was written. */
static long sys_writev(int fd, uintptr_t vector, long count)
{
    if (fd != 1 && fd != 2)
        return -EBADF;
    if (count < 0 || count > 1024)
        return -EINVAL;
    if (!range_ok(vector, (size_t)count * 16))
        return -EFAULT;
    for (long i = 0; i < count; i++) {
        uint64_t iov[2];
        if (copy_from_user(iov, vector + (uintptr_t)i * sizeof(iov), sizeof(iov)) < 0)
            return -EFAULT;
        if ((int64_t)iov[1] < 0)
            return -EINVAL;
        if (!range_ok(iov[0], iov[1]))
            return -EFAULT;
    }
    /* Gathered into chunks as the console takes them: a chunk with a bad
     * byte is not written (Linux's terminals and pipes do the same). */
    char chunk[128];
    size_t total = 0, filled = 0;
    for (long i = 0; i < count; i++) {
        uint64_t iov[2];
        if (copy_from_user(iov, vector + (uintptr_t)i * sizeof(iov), sizeof(iov)) < 0)
            break;
        for (size_t done = 0; done < iov[1] && total + filled < MAX_RW_COUNT;) {
            size_t n =
                iov[1] - done < sizeof(chunk) - filled ? iov[1] - done : sizeof(chunk) - filled;
            if (copy_from_user(chunk + filled, iov[0] + done, n) < 0)
                return total ? (long)total : -EFAULT;
            filled += n;
            done += n;
            if (filled == sizeof(chunk)) {
                console_write(chunk, filled);
                total += filled;
                filled = 0;
            }
        }
    }
    console_write(chunk, filled);
    return (long)(total + filled);
}

static long sys_read(int fd, uintptr_t buffer, size_t count)
{
    if (fd != 0)
        return -EBADF;
    if (!range_ok(buffer, count))
        return -EFAULT;
    if (count == 0)
        return 0;
    if (console_input_ended())
        return 0; /* at the end, Linux returns 0 without looking at the buffer */
    if (!user_access_ok(buffer, 1, true))
        return -EFAULT; /* before waiting for input that could never be stored */
    int c;
    while ((c = console_getc()) < 0) {
        if (console_input_ended())
            return 0; /* end of file: no input can ever come */
        thread_yield();
    }
    char byte = (char)c;
    return copy_to_user(buffer, &byte, 1) < 0 ? -EFAULT : 1;
}

/* The first mapped page of [start, end) (start page aligned), or `end` if
 * none is. Stretches without page tables are skipped whole, so even a range
 * of terabytes takes no time. */
static uintptr_t next_mapped(struct process *self, uintptr_t start, uintptr_t end)
{
    for (uintptr_t page = start; page < end;) {
        uintptr_t skip = PAGE_SIZE;
        phys_addr_t table = self->root, pa;
        for (int level = 4; level > 1; level--) {
            pte_t entry = pt_table(table)[pt_index(page, level)];
            if (!pte_present(entry)) { /* nothing in the rest of this entry's span */
                uintptr_t span = 1ul << (PAGE_SHIFT + 9 * (level - 1));
                skip = span - (page & (span - 1));
                break;
            }
            table = pte_address(entry);
        }
        if (skip == PAGE_SIZE && pt_translate(self->root, page, &pa))
            return page;
        if (skip >= end - page)
            break;
        page += skip;
    }
    return end;
}

static void unmap_range(struct process *self, uintptr_t start, uintptr_t end)
{
    for (uintptr_t page = next_mapped(self, start, end); page < end;
         page = next_mapped(self, page + PAGE_SIZE, end)) {
        phys_addr_t pa;
        if (pt_translate(self->root, page, &pa) && vm_unmap(self->root, page) == 0)
            frame_unref(pa & ~(PAGE_SIZE - 1)); /* freed if no other process shares it */
    }
}

/* The first page of [start, end) that is mapped or in a demand-zero region,
 * or `end`. */
static uintptr_t next_used(struct process *self, uintptr_t start, uintptr_t end)
{
    uintptr_t first = next_mapped(self, start, end);
    for (int i = 0; i < PROCESS_REGIONS; i++) {
        const struct vm_region *region = &self->regions[i];
        if (region->start < region->end && region->start < first && region->end > start)
            first = region->start > start ? region->start : start;
    }
    return first;
}

static long sys_brk(uintptr_t wanted)
{
    struct process *self = process_current();
    uintptr_t old_top = KEEL_ALIGN_UP(self->heap_end, PAGE_SIZE);
    if (wanted < self->heap_start || wanted >= USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)
        return (long)self->heap_end;
    uintptr_t new_top = KEEL_ALIGN_UP(wanted, PAGE_SIZE);
    /* Demand-zero: the pages are mapped at their first touch (vm_fault), so
     * growing allocates nothing; it only must not run into a mapping. */
    uint64_t free_frames = frame_free_count(); /* 0: the allocator cannot tell */
    if (new_top > old_top && (next_used(self, old_top, new_top) != new_top ||
                              (free_frames && (new_top - old_top) / PAGE_SIZE > free_frames)))
        return (long)self->heap_end;
    if (new_top < old_top)
        unmap_range(self, new_top, old_top);
    self->heap_end = wanted;
    return (long)wanted;
}

/* Anonymous private mappings, checked in Linux's order. PROT_NONE reserves
 * the range and maps nothing, so any access faults. Without MAP_FIXED a
 * page-aligned hint is used if that range is free, else the next free range
 * from mmap_next; MAP_FIXED replaces whatever was there. */
static long sys_mmap(uintptr_t address, size_t length, int prot, int flags, int fd, uint64_t offset)
{
    if (offset % PAGE_SIZE)
        return -EINVAL;
    if (!(flags & MAP_ANONYMOUS))
        return fd >= 0 && fd <= 2 ? -ENODEV : -EBADF; /* no files; the console has no pages */
    if (length == 0)
        return -EINVAL;
    size_t size = KEEL_ALIGN_UP(length, PAGE_SIZE);
    if (size == 0 || size > TASK_SIZE || ((flags & MAP_FIXED) && address > TASK_SIZE - size))
        return -ENOMEM;
    if ((flags & MAP_FIXED) && address % PAGE_SIZE)
        return -EINVAL;
    if ((flags & MAP_TYPE) != MAP_PRIVATE)
        return -EINVAL; /* MAP_SHARED too: this kernel has no shared memory */
    uint64_t free_frames = frame_free_count(); /* 0: the allocator cannot tell */
    bool mapped = prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
    if (mapped && free_frames && size / PAGE_SIZE > free_frames)
        return -ENOMEM; /* as Linux's overcommit heuristic: not more than there is */
    struct process *self = process_current();
    uintptr_t start;
    if (flags & MAP_FIXED) {
        start = address;
        unmap_range(self, start, start + size);
        if (vm_region_remove(self, start, start + size) < 0)
            return -ENOMEM;
    } else if (address && address % PAGE_SIZE == 0 && address <= TASK_SIZE - size &&
               next_used(self, address, address + size) == address + size) {
        start = address;
    } else {
        start = self->mmap_next;
        for (uintptr_t hit; start <= TASK_SIZE - size &&
                            (hit = next_used(self, start, start + size)) != start + size;)
            start = hit + PAGE_SIZE;
        if (start > TASK_SIZE - size)
            return -ENOMEM;
    }
    uintptr_t end = start + size;
    uint64_t pte_flags =
        ((prot & PROT_WRITE) ? PTE_WRITABLE : 0) | ((prot & PROT_EXEC) ? 0 : PTE_NO_EXECUTE);
    /* Demand-zero: recorded now, each page mapped at its first touch. */
    if (mapped && vm_region_add(self, start, end, pte_flags) < 0)
        return -ENOMEM;
    if (start >= self->mmap_next)
        self->mmap_next = end + PAGE_SIZE; /* leave a hole between mappings */
    return (long)start;
}

static long sys_munmap(uintptr_t address, size_t length)
{
    if (address % PAGE_SIZE || address > TASK_SIZE || length > TASK_SIZE - address || length == 0)
        return -EINVAL;
    struct process *self = process_current();
    uintptr_t end = address + KEEL_ALIGN_UP(length, PAGE_SIZE);
    if (vm_region_remove(self, address, end) < 0)
        return -ENOMEM; /* as Linux when a split would pass its limit of mappings */
    unmap_range(self, address, end);
    return 0;
}

/* wait4 with Linux's options and pids: WNOHANG returns 0 while the children
 * asked for all run; pid 0 (this process group) is every child, as every
 * process here is in one group; rusage, if asked for, is all zero. */
static long sys_wait4(int pid, uintptr_t status, uint64_t options, uintptr_t rusage)
{
    if (options & ~WAIT_OPTIONS)
        return -EINVAL;
    if (pid == -2147483647 - 1)
        return -ESRCH;
    if ((options & WAIT_CLONE) && !(options & WAIT_ALL))
        return -ECHILD; /* __WCLONE: only children that signal no SIGCHLD, and there are none */
    if (pid == 0)
        pid = -1;
    else if (pid < -1)
        return -ECHILD; /* another process group: none of them is a child */
    if (options & WNOHANG) {
        struct process *self = process_current(), *table;
        size_t count;
        bool any = false, ended = false;
        table = process_table(&count);
        for (size_t i = 0; i < count; i++) {
            struct process *child = &table[i];
            if (child->state == PROCESS_FREE || child->parent != self ||
                (pid != -1 && child->pid != pid))
                continue;
            any = true;
            ended |= child->state == PROCESS_ZOMBIE && child->thread->state == THREAD_DEAD;
        }
        if (!any)
            return -ECHILD;
        if (!ended)
            return 0;
    }
    long result = process_wait_child(pid, status);
    if (result > 0 && rusage) {
        static const uint8_t zero[RUSAGE_SIZE];
        if (copy_to_user(rusage, zero, sizeof(zero)) < 0)
            return -EFAULT;
    }
    return result;
}

/* The argument and environment strings of an execve, copied in: the
 * strings and their pointers (argv's, NULL, envp's, NULL) count against
 * MAX_ARG_TOTAL together, as Linux counts them against its limit. The
 * buffers start small and double as needed (no big block for a small
 * execve); a string's place is kept as an offset until they stop moving. */
struct exec_strings {
    char *text;
    size_t *offsets; /* into text; NO_STRING for a NULL */
    size_t text_size, offsets_size;
    size_t used; /* against MAX_ARG_TOTAL: strings and pointers */
    size_t text_used, count;
};

#define NO_STRING ((size_t)-1)

/* Make *buffer (of *size bytes) hold at least `needed`; 0 or -ENOMEM. */
static int grow(void **buffer, size_t *size, size_t needed)
{
    if (needed <= *size)
        return 0;
    size_t new_size = *size ? *size : 512;
    while (new_size < needed)
        new_size *= 2;
    void *bigger = kmalloc(new_size);
    if (!bigger)
        return -ENOMEM;
    if (*size)
        memcpy(bigger, *buffer, *size);
    kfree(*buffer);
    *buffer = bigger;
    *size = new_size;
    return 0;
}

static int add_offset(struct exec_strings *to, size_t offset)
{
    if (grow((void **)&to->offsets, &to->offsets_size, (to->count + 1) * sizeof(size_t)) < 0)
        return -ENOMEM;
    to->offsets[to->count++] = offset;
    return 0;
}

/* Append the NULL-terminated user array `array` (NULL: empty) and a NULL.
 * 0, -EFAULT, -E2BIG or -ENOMEM. */
static long copy_strings(struct exec_strings *to, uintptr_t array)
{
    for (uintptr_t i = 0; array; i++) {
        uint64_t pointer;
        if (copy_from_user(&pointer, array + i * 8, 8) < 0)
            return -EFAULT;
        if (!pointer)
            break;
        if (to->used + 16 > MAX_ARG_TOTAL) /* its pointer and the closing NULL */
            return -E2BIG;
        to->used += 8;
        size_t room = MAX_ARG_TOTAL - to->used - 8;
        size_t limit = room < MAX_ARG_LEN ? room : MAX_ARG_LEN; /* the NUL included */
        long length;
        if (grow((void **)&to->text, &to->text_size, to->text_used + 1) < 0)
            return -ENOMEM; /* room for the NUL at least */
        for (;;) {          /* copy; if it did not fit, grow the buffer and copy again */
            size_t space = to->text_size - to->text_used;
            length =
                strncpy_from_user(to->text + to->text_used, pointer, space < limit ? space : limit);
            if (length != -E2BIG || space >= limit)
                break;
            if (grow((void **)&to->text, &to->text_size, to->text_size * 2 + 1) < 0)
                return -ENOMEM;
        }
        if (length < 0)
            return length;
        if (add_offset(to, to->text_used) < 0)
            return -ENOMEM;
        to->used += (size_t)length + 1;
        to->text_used += (size_t)length + 1;
    }
    to->used += 8;
    return add_offset(to, NO_STRING);
}

static long sys_execve(struct trap_frame *frame, uintptr_t path_address, uintptr_t argv_address,
                       uintptr_t envp_address)
{
    char *path = kmalloc(MAX_PATH);
    struct exec_strings strings = {0};
    const char **pointers = NULL;
    long result = path ? strncpy_from_user(path, path_address, MAX_PATH) : -ENOMEM;
    if (result == -E2BIG)
        result = -ENAMETOOLONG;
    const char *name = result >= 0 && path[0] == '/' ? path + 1 : path;
    if (result >= 0 && (!path[0] || !programs_find(name)))
        result = -ENOENT; /* Linux looks for the file before it reads the arguments */
    if (result >= 0)
        result = copy_strings(&strings, argv_address);
    size_t argc = strings.count - 1;
    if (result >= 0)
        result = copy_strings(&strings, envp_address);
    if (result >= 0 && !(pointers = kmalloc(strings.count * sizeof(*pointers))))
        result = -ENOMEM;
    if (result >= 0) {
        for (size_t i = 0; i < strings.count; i++)
            pointers[i] =
                strings.offsets[i] == NO_STRING ? NULL : strings.text + strings.offsets[i];
        static const char *const empty[] = {"", NULL}; /* Linux's argv for argc 0 */
        const char *const *argv = argc ? pointers : empty;
        result = process_exec(frame, name, argv, pointers + argc + 1);
    }
    kfree(pointers);
    kfree(strings.offsets);
    kfree(strings.text);
    kfree(path);
    return result;
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
        result = sys_mmap(a0, a1, (int)a2, (int)a3, (int)a4, frame->r9);
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
        result = sys_execve(frame, a0, a1, a2);
        if (result == 0)
            return; /* the frame now starts the new program */
        break;
    case SYS_wait4:
        result = sys_wait4((int)a0, a1, (uint32_t)a2, a3);
        break;
    case SYS_exit:
    case SYS_exit_group:
        process_exit((int)((a0 & 0xff) << 8));
    case SYS_arch_prctl:
        if (a0 == ARCH_SET_FS)
            result = a1 >= TASK_SIZE ? -EPERM : user_set_fs_base(a1);
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
        result = (int)a0 >= 0 && (int)a0 <= 2 ? -ENOTTY : -EBADF; /* the console is no terminal */
        break;
    default:
        result = -ENOSYS;
    }
    frame->rax = (uint64_t)result;
}
