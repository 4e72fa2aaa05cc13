/* Reaching user memory from the kernel, and going back to user mode (see
 * <keel/user.h>): the checks every platform shares.
 *
 * Why the checks live here: whether a user pointer may be used is a question
 * for the page tables alone (every page present and PTE_USER, writable when
 * writing, below USER_SPACE_END), so one answer serves every platform. The
 * platform does only the copy itself (platform_user_read/write: on a PC
 * under fault fixups with SMAP opened, on the Linux platform through the
 * direct map), which must still fail cleanly if the tables change under it.
 * Nothing a user program passes can fault the kernel. */
#include <keel/errno.h>
#include <keel/paging.h>
#include <keel/panic.h>
#include <keel/user.h>

#include "internal.h"

#define RFLAGS_IF 0x200ul

static user_fault_resolver_t resolver;

user_fault_resolver_t user_set_fault_resolver(user_fault_resolver_t handler)
{
    user_fault_resolver_t previous = resolver;
    resolver = handler;
    return previous;
}

/* Whether [address, address + size) is user memory with `needed` flags. A
 * page without them is given to the kernel's resolver first (copy-on-write,
 * demand-zero), as the CPU's fault would be if user code touched it. */
static bool user_range_ok(uintptr_t address, size_t size, uint64_t needed)
{
    if (size == 0)
        return true;
    uintptr_t last = address + size - 1;
    if (last < address || last >= USER_SPACE_END)
        return false;
    phys_addr_t root = paging_current_root();
    for (uintptr_t page = address & ~(PAGE_SIZE - 1); page <= last; page += PAGE_SIZE) {
        uint64_t wanted = PTE_PRESENT | PTE_USER | needed;
        pte_t entry = paging_lookup(root, page, NULL);
        if ((entry & wanted) != wanted &&
            (!resolver || !resolver(page, (needed & PTE_WRITABLE) != 0) ||
             (paging_lookup(root, page, NULL) & wanted) != wanted))
            return false;
        if (page + PAGE_SIZE < page)
            break;
    }
    return true;
}

bool user_access_ok(uintptr_t address, size_t size, bool write)
{
    return user_range_ok(address, size, write ? PTE_WRITABLE : 0);
}

int copy_from_user(void *dst, uintptr_t user_src, size_t size)
{
    if (!user_range_ok(user_src, size, 0))
        return -EFAULT;
    return size == 0 || platform_user_read(dst, user_src, size) ? 0 : -EFAULT;
}

int copy_to_user(uintptr_t user_dst, const void *src, size_t size)
{
    if (!user_range_ok(user_dst, size, PTE_WRITABLE))
        return -EFAULT;
    return size == 0 || platform_user_write(user_dst, src, size) ? 0 : -EFAULT;
}

long strncpy_from_user(char *dst, uintptr_t user_src, size_t size)
{
    if (size == 0)
        return -E2BIG;
    /* A page at a time, not a byte at a time: one page-table walk per page
     * of the string (a path name, an argument) instead of one per byte.
     * Reading past the NUL stays within a page already checked. */
    size_t done = 0;
    while (done < size) {
        uintptr_t at = user_src + done;
        size_t chunk = PAGE_SIZE - at % PAGE_SIZE;
        if (chunk > size - done)
            chunk = size - done;
        if (!user_range_ok(at, chunk, 0) || !platform_user_read(dst + done, at, chunk))
            return -EFAULT;
        for (size_t i = done; i < done + chunk; i++)
            if (dst[i] == '\0')
                return (long)i;
        done += chunk;
    }
    dst[size - 1] = '\0';
    return -E2BIG;
}

void user_return(const struct trap_frame *frame)
{
    if ((frame->cs & 3) != 3 || (frame->ss & 3) != 3)
        keel_report_bug((uintptr_t)__builtin_return_address(0),
                        "user_return with a frame that does not return to user mode (cs %#lx)",
                        frame->cs);
    struct trap_frame local = *frame;
    local.rflags |= RFLAGS_IF; /* interrupts on in user mode */
    platform_user_return(&local);
}
