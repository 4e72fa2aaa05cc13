/* User memory on the Linux platform (see <keel/user.h>; running user code is
 * usermode.c's).
 *
 * Copies to and from user memory translate every page through the current
 * page table (it must be a present user page, writable for copy_to_user)
 * and go through the direct map, so a bad pointer is an error code and
 * never a fault in the kernel. The user's pages are the same frames of
 * physical memory that the child process running the program maps. */
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

void arch_set_kernel_stack(uintptr_t top)
{
    (void)top; /* traps from user mode arrive through ptrace, on any stack */
}

/* The physical address behind user address `va` if the current page table
 * maps it for user access (and writes, if `write`), else false. */
static bool user_page(uintptr_t va, bool write, phys_addr_t *pa)
{
    if (va >= USER_SPACE_END)
        return false;
    int level;
    pte_t entry = paging_lookup(paging_current_root(), va, &level);
    if (!pte_present(entry) || !(entry & PTE_USER) || (write && !(entry & PTE_WRITABLE)))
        return false;
    uint64_t span = 1ul << (PAGE_SHIFT + 9 * (level - 1));
    *pa = (pte_address(entry) & ~(span - 1)) + (va & (span - 1));
    return *pa < linux_ram_bytes;
}

bool user_access_ok(uintptr_t address, size_t size, bool write)
{
    if (size == 0)
        return true;
    if (address + size - 1 < address)
        return false;
    phys_addr_t pa;
    for (uintptr_t page = KEEL_ALIGN_DOWN(address, PAGE_SIZE); page < address + size;
         page += PAGE_SIZE)
        if (!user_page(page, write, &pa))
            return false;
    return true;
}

/* Copy `size` bytes between kernel memory and user `address`, page by page. */
static int user_copy(void *kernel, uintptr_t address, size_t size, bool to_user)
{
    if (!user_access_ok(address, size, to_user))
        return -EFAULT;
    uint8_t *k = kernel;
    while (size > 0) {
        phys_addr_t pa;
        user_page(address, to_user, &pa);
        size_t chunk = PAGE_SIZE - (address % PAGE_SIZE);
        if (chunk > size)
            chunk = size;
        if (to_user)
            memcpy(phys_to_virt(pa), k, chunk);
        else
            memcpy(k, phys_to_virt(pa), chunk);
        k += chunk, address += chunk, size -= chunk;
    }
    return 0;
}

int copy_from_user(void *dst, uintptr_t user_src, size_t size)
{
    return user_copy(dst, user_src, size, false);
}

int copy_to_user(uintptr_t user_dst, const void *src, size_t size)
{
    return user_copy((void *)src, user_dst, size, true);
}

long strncpy_from_user(char *dst, uintptr_t user_src, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        phys_addr_t pa;
        if (!user_page(user_src + i, false, &pa))
            return -EFAULT;
        dst[i] = *(const char *)phys_to_virt(pa);
        if (dst[i] == '\0')
            return (long)i;
    }
    return -E2BIG;
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
