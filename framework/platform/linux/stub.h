/* Where the Linux platform's helper code lives inside every user address
 * space, shared by stub.S and the usermode*.c files. A user address space is a child
 * process; besides the user's own pages it holds only this stub, at an
 * address no Keel program is given (it lies in AddressSanitizer's shadow gap
 * in the kernel process, so creating it there never covers kernel memory):
 *
 *   LINUX_STUB_CODE     one page, read and execute: the code below
 *   LINUX_STUB_OPS      the requests (system calls) the kernel asks the child
 *                       to make: readable only while the stub makes them
 *   LINUX_STUB_STACK    the stack the child's fault handler runs on
 *
 * Not part of the public API. */
#ifndef KEEL_PLATFORM_LINUX_STUB_H
#define KEEL_PLATFORM_LINUX_STUB_H

#define LINUX_STUB_BASE       0x10000000000
#define LINUX_STUB_SIZE       0x100000
#define LINUX_STUB_CODE       LINUX_STUB_BASE
#define LINUX_STUB_OPS        (LINUX_STUB_BASE + 0x10000)
#define LINUX_STUB_OPS_SIZE   0x10000
#define LINUX_STUB_STACK      (LINUX_STUB_BASE + 0x40000)
#define LINUX_STUB_STACK_SIZE 0x10000
/* The end of what a Linux process may map (the last page below 2^47 is
 * not available to it). */
#define LINUX_USER_TOP 0x7ffffffff000

/* One request: a system call number (or LINUX_STUB_END) and six arguments. */
#define LINUX_STUB_OP_SIZE 64
#define LINUX_STUB_END     (-1)

/* Offsets into the code page (stub.S places each entry there). */
#define LINUX_STUB_WIPE     0x000 /* unmap everything but the stub, then int3 */
#define LINUX_STUB_RUN      0x100 /* make every request, then int3 (rax 0, or the error) */
#define LINUX_STUB_FAULT    0x200 /* the fault signal handler: err, trap, cr2 → rax, rbx, rcx */
#define LINUX_STUB_RESTORER 0x300 /* never used: the kernel resets the registers itself */

/* Where the sigcontext fields are in the handler's ucontext (the x86_64
 * Linux ABI: the general registers start at byte 40, eight bytes each). */
#define LINUX_UCONTEXT_ERR    (40 + 19 * 8)
#define LINUX_UCONTEXT_TRAPNO (40 + 20 * 8)
#define LINUX_UCONTEXT_CR2    (40 + 22 * 8)

#endif
