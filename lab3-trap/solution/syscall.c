/* Lab 3, part 3: the system-call dispatcher. (Reference solution.) */
#include "lab3.h"

void syscall_dispatch(struct trap_frame *frame)
{
    long number = (long)frame->rax;
    if (number < 0 || number >= SYSCALL_COUNT || !syscall_table[number]) {
        frame->rax = (uint64_t)-ENOSYS;
        return;
    }
    frame->rax =
        (uint64_t)syscall_table[number]((long)frame->rdi, (long)frame->rsi, (long)frame->rdx,
                                        (long)frame->r10, (long)frame->r8, (long)frame->r9);
}

bool syscall_handler(struct trap_frame *frame)
{
    syscall_dispatch(frame);
    return true;
}
