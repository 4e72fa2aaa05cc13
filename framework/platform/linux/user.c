/* User memory on the Linux platform (see <keel/user.h>; running user code is
 * usermode.c's): the copies behind copy_*_user (core/user_memory.c checks
 * the ranges first), the FS base, and no SMEP or SMAP (user memory is
 * another process, never reachable by a kernel pointer). */
#include <keel/errno.h>
#include <keel/mm.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/string.h>
#include <keel/thread.h>
#include <keel/user.h>

#include "../../core/internal.h"
#include "linux.h"
#include "stub.h"

static uintptr_t fs_base;

void platform_set_kernel_stack(uintptr_t top)
{
    (void)top; /* traps from user mode arrive through ptrace, on any stack */
}

/* Copy `size` bytes between kernel memory and user `address`, page by page
 * through the current page table and the direct map: the user's pages are
 * the same frames of physical memory that the child process running the
 * program maps. */
static bool user_copy(void *kernel, uintptr_t address, size_t size, bool to_user)
{
    uint8_t *k = kernel;
    while (size > 0) {
        phys_addr_t frame;
        uint64_t flags;
        if (!linux_translate(paging_current_root(), address, &frame, &flags))
            return false;
        void *user = (uint8_t *)phys_to_virt(frame) + address % PAGE_SIZE;
        size_t chunk = PAGE_SIZE - (address % PAGE_SIZE);
        if (chunk > size)
            chunk = size;
        if (to_user)
            memcpy(user, k, chunk);
        else
            memcpy(k, user, chunk);
        k += chunk, address += chunk, size -= chunk;
    }
    return true;
}

bool platform_user_read(void *dst, uintptr_t user_src, size_t size)
{
    return user_copy(dst, user_src, size, false);
}

bool platform_user_write(uintptr_t user_dst, const void *src, size_t size)
{
    return user_copy((void *)src, user_dst, size, true);
}

int user_set_fs_base(uintptr_t base)
{
    /* A Linux process cannot have its FS base in the last page below 2^47. */
    if (base >= LINUX_USER_TOP)
        return -EFAULT;
    fs_base = base;
    struct thread *thread = thread_current();
    if (thread)
        thread->fs_base = base;
    return 0;
}

uintptr_t user_fs_base(void)
{
    return fs_base;
}

bool user_protection_smep(void)
{
    return false;
}

bool user_protection_smap(void)
{
    return false;
}
