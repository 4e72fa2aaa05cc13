/* Lab 3, part 3: the system-call dispatcher. Read "Part 3" of
 * lab3-trap/README.md. */
#include "lab3.h"

void syscall_dispatch(struct trap_frame *frame)
{
    (void)frame;
    /* TODO(lab3): check the number in frame->rax, call syscall_table[number]
     * with rdi, rsi, rdx, r10, r8, r9, put the result in frame->rax;
     * -ENOSYS for an unknown number. */
}

bool syscall_handler(struct trap_frame *frame)
{
    (void)frame;
    /* TODO(lab3): dispatch, then return true. */
    return false;
}
