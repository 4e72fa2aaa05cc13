/* User mode on a PC: the syscall MSRs, the way into ring 3 (user_enter,
 * platform_user_return), the FS base, SMEP and SMAP, and the byte copies
 * behind copy_*_user (core/user_memory.c checks the ranges first).
 *
 * The copies run under fault fixups (arch/x86_64/safe.S), so a page that
 * vanished since the check is an error and not a kernel fault; with SMAP on,
 * user pages are opened to the kernel (stac) only for the copy. */
#include <keel/cpu.h>
#include <keel/errno.h>
#include <keel/paging.h>
#include <keel/safe.h>
#include <keel/thread.h>
#include <keel/user.h>

#include "../../core/internal.h"
#include "pc.h"

#define MSR_EFER     0xc0000080
#define MSR_STAR     0xc0000081
#define MSR_LSTAR    0xc0000082
#define MSR_SFMASK   0xc0000084
#define MSR_FS_BASE  0xc0000100
#define EFER_SYSCALL 0x1
/* Flags cleared on syscall entry: TF, IF, DF, NT, AC. */
#define SYSCALL_FLAG_MASK 0x44700

static bool smep, smap;

void pc_syscall_init(void)
{
    cpu_write_msr(MSR_EFER, cpu_read_msr(MSR_EFER) | EFER_SYSCALL);
    /* syscall loads CS = 0x08, SS = 0x10; sysret CS = 0x10 + 16 | 3 (user
     * code), SS = 0x10 + 8 | 3 (user data): hence the GDT's order. */
    cpu_write_msr(MSR_STAR, ((uint64_t)GDT_KERNEL_DATA << 48) | ((uint64_t)GDT_KERNEL_CODE << 32));
    cpu_write_msr(MSR_LSTAR, (uint64_t)syscall_entry);
    cpu_write_msr(MSR_SFMASK, SYSCALL_FLAG_MASK);
    platform_set_kernel_stack((uintptr_t)boot_stack_top);
}

void user_enter(uintptr_t rip, uintptr_t rsp, uint64_t arg, uintptr_t kernel_stack_top)
{
    platform_set_kernel_stack(kernel_stack_top);
    pc_iret_to_user(rip, rsp, arg);
}

void platform_user_return(struct trap_frame *frame)
{
    /* Traps from user mode start again at the top of this thread's kernel
     * stack (the frame, a copy on that stack, is loaded before). */
    struct thread *self = thread_current();
    platform_set_kernel_stack(self ? self->framework.stack_top : (uintptr_t)boot_stack_top);
    pc_user_return_frame(frame);
}

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

void pc_user_protection_init(void)
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

bool platform_user_read(void *dst, uintptr_t user_src, size_t size)
{
    uint8_t *out = dst;
    bool ok = true;
    open_user();
    for (size_t i = 0; i < size && ok; i++)
        ok = safe_read8((const void *)(user_src + i), &out[i]);
    close_user();
    return ok;
}

bool platform_user_write(uintptr_t user_dst, const void *src, size_t size)
{
    const uint8_t *in = src;
    bool ok = true;
    open_user();
    for (size_t i = 0; i < size && ok; i++)
        ok = safe_write8((void *)(user_dst + i), in[i]);
    close_user();
    return ok;
}
