/* The system calls of lab 3's kernel. You do not need to change this file. */
#include "lab3.h"

static long sys_weighted_sum(long a0, long a1, long a2, long a3, long a4, long a5)
{
    return a0 * 1 + a1 * 2 + a2 * 3 + a3 * 4 + a4 * 5 + a5 * 6;
}

static long sys_ticks(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
    return (long)timer_ticks();
}

static long sys_breakpoints(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a0, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
    return (long)breakpoint_count();
}

static long sys_negate(long a0, long a1, long a2, long a3, long a4, long a5)
{
    (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
    return -a0;
}

const syscall_handler_t syscall_table[SYSCALL_COUNT] = {
    [SYS_WEIGHTED_SUM] = sys_weighted_sum,
    [SYS_TICKS] = sys_ticks,
    [SYS_BREAKPOINTS] = sys_breakpoints,
    [SYS_NEGATE] = sys_negate,
};
