/* Running code in user mode (ring 3).
 *
 * A user program reaches the kernel through `syscall` or `int $0x80` (both
 * arrive as a trap frame with vector USER_SYSCALL_VECTOR, number in RAX,
 * arguments in RDI, RSI, RDX, R10, R8, R9, result returned in RAX), or
 * through an exception or interrupt (a trap frame whose cs has privilege
 * level 3). The return to user mode uses sysret where it is safe and iretq
 * otherwise: a return address that is not canonical would make sysret fault
 * in kernel mode with the user's stack. A handler that sets one is reported
 * as a bug; a system call made by the last instruction below USER_SPACE_END
 * (whose return address the CPU saved) gets the program the general
 * protection fault its next instruction fetch would raise. */
#ifndef KEEL_USER_H
#define KEEL_USER_H

#include <keel/trap.h>
#include <keel/types.h>

/* The vector a system call arrives with (int $0x80, and syscall as the
 * framework reports it), and the segment selectors of user code and data
 * (ring 3) as they appear in a user trap frame's cs and ss. */
#define USER_SYSCALL_VECTOR 0x80
#define USER_CODE_SELECTOR  0x23
#define USER_DATA_SELECTOR  0x1b

/* Whether `frame` was taken while the CPU ran user code. */
static inline bool trap_from_user(const struct trap_frame *frame)
{
    return (frame->cs & 3) == 3;
}

/* Return to user mode with every register as in `frame` (which must come
 * from user mode: ring-3 cs and ss), on the running thread's kernel stack
 * for later traps. For a forked child's first run. Never returns. */
KEEL_NORETURN void user_return(const struct trap_frame *frame);

/* Whether [address, address + size) is user memory of the current address
 * space that may be read (and written, if `write`): present, PTE_USER,
 * canonical, below USER_SPACE_END. For checking a buffer before blocking on
 * the data to put there. Not a pure check when a fault resolver is installed
 * (below): pages it can make accessible are made so, as the program's own
 * access would (frames allocated, copy-on-write pages copied), so check only
 * the bytes about to be used, not a whole buffer the program may never
 * fill. Kernel context. */
bool user_access_ok(uintptr_t address, size_t size, bool write);

/* A kernel's handler for user pages that are not accessible yet but may
 * become so: `page` (page aligned, below USER_SPACE_END) of the current
 * address space is about to be read (or written, if `write`) by a
 * copy_*_user, strncpy_from_user or user_access_ok and its entry does not
 * allow it. Return true after making it accessible (mapping a demand-zero
 * page, copying a copy-on-write one), false for a bad address (the copy then
 * fails with -EFAULT). Kernel context, interrupts as the caller left them. */
typedef bool (*user_fault_resolver_t)(uintptr_t page, bool write);

/* Install `handler` (NULL: none, the default) as the resolver the user
 * copies consult; returns the previous one so tests can put it back. Kernel
 * context. */
user_fault_resolver_t user_set_fault_resolver(user_fault_resolver_t handler);

/* Copy `size` bytes from user address `user_src` to `dst`. 0, or -EFAULT if
 * any byte is not in user-readable memory of the current address space: a
 * kernel address, a non-canonical one, a range that wraps, an unmapped page
 * or a page without PTE_USER. Never faults the kernel. Kernel context. */
int copy_from_user(void *dst, uintptr_t user_src, size_t size);

/* Copy `size` bytes from `src` to user address `user_dst`; 0, or -EFAULT if
 * any byte is not user-writable memory (as copy_from_user, plus read-only
 * pages). Kernel context. */
int copy_to_user(uintptr_t user_dst, const void *src, size_t size);

/* Copy a NUL-terminated string from user memory into `dst` (capacity `size`).
 * Returns its length, -EFAULT for a bad address, or -E2BIG if no NUL comes
 * within size - 1 bytes (then `dst` holds those bytes and a NUL, if `size`
 * is not 0). Kernel context. */
long strncpy_from_user(char *dst, uintptr_t user_src, size_t size);

/* Set the FS segment base of the running thread (what Linux's
 * arch_prctl(ARCH_SET_FS) does: user programs keep thread-local storage
 * there). It follows the thread across context switches. -EFAULT if `base`
 * is not a canonical user address. Kernel context. */
int user_set_fs_base(uintptr_t base);

/* The running thread's FS segment base. */
uintptr_t user_fs_base(void);

/* Whether this CPU enforces SMEP (kernel never runs user pages) and SMAP
 * (kernel touches user pages only inside copy_*_user); Keel turns both on
 * where the CPU has them. */
bool user_protection_smep(void);
/* See user_protection_smep. */
bool user_protection_smap(void);

/* Leave the kernel: start running user code at `rip` with stack `rsp` and
 * interrupts enabled, in the address space currently loaded (its user pages
 * need PTE_USER). RDI holds `arg`. Traps from user mode come back on the
 * kernel stack whose top is `kernel_stack_top`. Never returns: the kernel
 * regains control only through traps. Kernel context. */
KEEL_NORETURN void user_enter(uintptr_t rip, uintptr_t rsp, uint64_t arg,
                              uintptr_t kernel_stack_top);

#endif
