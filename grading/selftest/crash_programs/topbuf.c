/* Issue 11: a user buffer whose range ends exactly at the top of the 64-bit
 * address space (start + length wraps to 0) must get EFAULT from every
 * call, as on Linux, and never fault or block the kernel. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static long call3(long number, long a, long b, long c)
{
    long result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return result;
}

static int failures;

static void expect_efault(const char *what, long result)
{
    if (result != -14) {
        printf("%s: %ld, expected -14 (EFAULT)\n", what, result);
        failures++;
    }
}

int main(void)
{
    expect_efault("write(1, -4096, 4096)", call3(1, 1, -4096, 4096));
    expect_efault("write(1, -1, 1)", call3(1, 1, -1, 1));
    long iov[2] = {-16, 16};
    expect_efault("writev(1, {-16, 16}, 1)", call3(20, 1, (long)iov, 1));
    expect_efault("read(0, -1, 1)", call3(0, 0, -1, 1));
    expect_efault("read(0, -4096, 4096)", call3(0, 0, -4096, 4096));
    expect_efault("arch_prctl(ARCH_GET_FS, -8)", call3(158, 0x1003, -8, 0));
    long listed = call3(500, -8, 8, 0); /* Keel's process listing (ENOSYS elsewhere) */
    if (listed != -38)
        expect_efault("keel_ps(-8, 8)", listed);
    pid_t child = fork();
    if (child == 0)
        _exit(3);
    expect_efault("wait4(child, -4)", call3(61, child, -4, 0));
    if (failures == 0)
        printf("topbuf: every call gave EFAULT\n");
    return failures;
}
