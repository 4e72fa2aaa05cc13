/* Lab 3 tests, part 3: system calls through int $0x80. */
#include <ktest.h>

#include "../lab3.h"

static long syscall6(long number, long a0, long a1, long a2, long a3, long a4, long a5)
{
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    long result = number;
    __asm__ volatile("int $0x80"
                     : "+a"(result)
                     : "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : "memory", "cc");
    return result;
}

KTEST(syscall_passes_arguments_in_order)
{
    lab3_install();
    long result = syscall6(SYS_WEIGHTED_SUM, 1, 2, 3, 4, 5, 6);
    KT_ASSERT(result == 91,
              "SYS_WEIGHTED_SUM(1, 2, 3, 4, 5, 6) returned %ld, expected 91 "
              "(1*1 + 2*2 + … + 6*6): arguments come from rdi, rsi, rdx, r10, r8, "
              "r9 in that order",
              result);
    KT_ASSERT_EQ(syscall6(SYS_NEGATE, 42, 0, 0, 0, 0, 0), -42, "SYS_NEGATE(42)");
}

KTEST(syscall_rejects_unknown_numbers)
{
    lab3_install();
    KT_ASSERT_EQ(syscall6(SYSCALL_COUNT, 0, 0, 0, 0, 0, 0), -ENOSYS, "system call SYSCALL_COUNT");
    KT_ASSERT_EQ(syscall6(1000000, 0, 0, 0, 0, 0, 0), -ENOSYS, "system call 1000000");
    KT_ASSERT_EQ(syscall6(-1, 0, 0, 0, 0, 0, 0), -ENOSYS, "system call -1");
}

KTEST(syscall_reaches_kernel_state)
{
    lab3_install();
    __asm__ volatile("int3");
    long counted = syscall6(SYS_BREAKPOINTS, 0, 0, 0, 0, 0, 0);
    KT_ASSERT(counted >= 1 && (uint64_t)counted == breakpoint_count(),
              "SYS_BREAKPOINTS returned %ld; breakpoint_count() is %lu", counted,
              breakpoint_count());
}
