/* Lab 3, part 1: exceptions and breakpoints. Read "Part 1" of
 * lab3-trap/README.md. */
#include "lab3.h"

int exception_describe(const struct trap_frame *frame, uint64_t fault_address, char *buf,
                       size_t size)
{
    (void)frame;
    (void)fault_address;
    /* TODO(lab3): "<name> (vector N) at RIP 0x…, error code 0x…", and for a
     * page fault the address and the decoded error code (see lab3.h). */
    return ksnprintf(buf, size, "(exception_describe is not written yet)");
}

bool exception_handler(struct trap_frame *frame)
{
    (void)frame;
    /* TODO(lab3): print "Exception: " and the description, return false. */
    return false;
}

bool breakpoint_handler(struct trap_frame *frame)
{
    (void)frame;
    /* TODO(lab3): count, print "Breakpoint at RIP 0x…", return true. */
    return false;
}

uint64_t breakpoint_count(void)
{
    /* TODO(lab3) */
    return 0;
}

void lab3_install(void)
{
    /* TODO(lab3): trap_set_handler for each vector (see lab3.h). */
}
