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

/* A system-call number the table does not have: just past its end, far
 * past it, or negative. (On the Linux platform int $0x80 keeps only the low
 * 32 bits of RAX, so every number here stays unknown in 32 bits too.) */
static long unknown_number(uint64_t *state)
{
    switch (ktest_random_below(state, 3)) {
    case 0:
        return SYSCALL_COUNT + (long)ktest_random_below(state, 4);
    case 1:
        return SYSCALL_COUNT + (long)ktest_random_below(state, 1ull << 31);
    default:
        return -1 - (long)ktest_random_below(state, 1000);
    }
}

/* A random argument of at most 41 bits, so the weighted sum cannot overflow. */
static long argument(uint64_t *state)
{
    return (long)ktest_random_below(state, 1ull << 41) - (1l << 40);
}

/* Host-checked (grading/test_lab3_trap.py): 32 system calls drawn from the
 * run's seed through int $0x80: weighted sums and negations of random
 * arguments, unknown numbers, and breakpoint counts after a random number of
 * int3. The grader computes each result from the system calls of
 * syscall_table.c. SYS_TICKS is compared with timer_ticks() here (the timer
 * is not running, so both stay put). */
KTEST(syscall_seeded_calls)
{
    lab3_install();
    uint64_t state = ktest_seed();
    uint64_t breakpoints_before = breakpoint_count();
    for (unsigned call = 1; call <= 32; call++) {
        uint64_t kind = ktest_random_below(&state, 12);
        if (kind < 5) {
            long a[6];
            for (int i = 0; i < 6; i++)
                a[i] = argument(&state);
            long result = syscall6(SYS_WEIGHTED_SUM, a[0], a[1], a[2], a[3], a[4], a[5]);
            ktest_answer("call %u: SYS_WEIGHTED_SUM(%ld, %ld, %ld, %ld, %ld, %ld) = %ld", call,
                         a[0], a[1], a[2], a[3], a[4], a[5], result);
        } else if (kind < 7) {
            long a0 = argument(&state), junk = (long)ktest_random(&state);
            long result = syscall6(SYS_NEGATE, a0, junk, junk, junk, junk, junk);
            ktest_answer("call %u: SYS_NEGATE(%ld) = %ld", call, a0, result);
        } else if (kind < 8) {
            for (uint64_t n = ktest_random_below(&state, 4); n > 0; n--)
                __asm__ volatile("int3");
            long result = syscall6(SYS_BREAKPOINTS, 0, 0, 0, 0, 0, 0);
            ktest_answer("call %u: SYS_BREAKPOINTS = the count at the start + %ld", call,
                         result - (long)breakpoints_before);
        } else if (kind < 11) {
            long number = unknown_number(&state);
            long result = syscall6(number, 1, 2, 3, 4, 5, 6);
            ktest_answer("call %u: system call %ld = %ld", call, number, result);
        } else {
            long result = syscall6(SYS_TICKS, 0, 0, 0, 0, 0, 0);
            if (result == (long)timer_ticks())
                ktest_answer("call %u: SYS_TICKS = timer_ticks()", call);
            else
                ktest_answer("call %u: SYS_TICKS = %ld, but timer_ticks() is %lu", call, result,
                             timer_ticks());
        }
    }
}
