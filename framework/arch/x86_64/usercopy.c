/* Copying to and from user memory (see <keel/user.h>). Every page of a
 * range is checked in the page tables first (present, user, writable when
 * writing); the copy itself still runs under fault fixups (safe.S) so that
 * nothing a user program does can fault the kernel. With SMAP on, user pages
 * are opened to the kernel (stac) only for the copy. */
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/paging.h>
#include <keel/safe.h>
#include <keel/thread.h>
#include <keel/user.h>

#define MSR_FS_BASE 0xc0000100

static bool smep, smap;

int user_set_fs_base(uintptr_t base)
{
    if (base >= USER_SPACE_END)
        return -EFAULT;
    cpu_write_msr(MSR_FS_BASE, base);
    struct thread *thread = thread_current();
    if (thread)
        thread->fs_base = base;
    return 0;
}

uintptr_t user_fs_base(void)
{
    return cpu_read_msr(MSR_FS_BASE);
}

bool user_protection_smep(void)
{
    return smep;
}

bool user_protection_smap(void)
{
    return smap;
}

void arch_user_protection_init(void);

void arch_user_protection_init(void)
{
    uint32_t ebx = 0, max_leaf = 0;
    cpu_cpuid(0, 0, &max_leaf, NULL, NULL, NULL);
    if (max_leaf >= 7)
        cpu_cpuid(7, 0, NULL, &ebx, NULL, NULL);
    uint64_t cr4 = cpu_read_cr4();
    smep = (ebx & (1u << 7)) != 0;
    smap = (ebx & (1u << 20)) != 0;
    if (smep)
        cr4 |= 1ul << 20;
    if (smap)
        cr4 |= 1ul << 21;
    __asm__ volatile("mov %0, %%cr4" ::"r"(cr4));
}

static void open_user(void)
{
    if (smap)
        __asm__ volatile("stac" ::: "memory");
}

static void close_user(void)
{
    if (smap)
        __asm__ volatile("clac" ::: "memory");
}

/* Whether [address, address + size) is user memory with `needed` flags. */
static bool user_range_ok(uintptr_t address, size_t size, uint64_t needed)
{
    if (size == 0)
        return true;
    uintptr_t last = address + size - 1;
    if (last < address || last >= USER_SPACE_END)
        return false;
    phys_addr_t root = paging_current_root();
    for (uintptr_t page = address & ~(PAGE_SIZE - 1); page <= last; page += PAGE_SIZE) {
        pte_t entry = paging_lookup(root, page, NULL);
        if ((entry & (PTE_PRESENT | PTE_USER | needed)) != (PTE_PRESENT | PTE_USER | needed))
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
    uint8_t *out = dst;
    int result = 0;
    open_user();
    for (size_t i = 0; i < size; i++) {
        if (!safe_read8((const void *)(user_src + i), &out[i])) {
            result = -EFAULT;
            break;
        }
    }
    close_user();
    return result;
}

int copy_to_user(uintptr_t user_dst, const void *src, size_t size)
{
    if (!user_range_ok(user_dst, size, PTE_WRITABLE))
        return -EFAULT;
    const uint8_t *in = src;
    int result = 0;
    open_user();
    for (size_t i = 0; i < size; i++) {
        if (!safe_write8((void *)(user_dst + i), in[i])) {
            result = -EFAULT;
            break;
        }
    }
    close_user();
    return result;
}

long strncpy_from_user(char *dst, uintptr_t user_src, size_t size)
{
    if (size == 0)
        return -E2BIG;
    for (size_t i = 0; i < size; i++) {
        if (!user_range_ok(user_src + i, 1, 0))
            return -EFAULT;
        uint8_t c;
        open_user();
        bool ok = safe_read8((const void *)(user_src + i), &c);
        close_user();
        if (!ok)
            return -EFAULT;
        dst[i] = (char)c;
        if (c == '\0')
            return (long)i;
    }
    dst[size - 1] = '\0';
    return -E2BIG;
}
