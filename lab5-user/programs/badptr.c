/* Hands the kernel bad pointers: each call must fail with EFAULT, not crash. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static int check(const char *what, long result)
{
    if (result == -1 && errno == EFAULT) {
        printf("%s: EFAULT\n", what);
        return 0;
    }
    printf("%s: returned %ld (errno %d), expected EFAULT\n", what, result, errno);
    return 1;
}

int main(void)
{
    int failures = 0;
    failures += check("write(NULL)", write(1, (void *)0, 10));
    failures += check("write(kernel address)", write(1, (void *)0xffffffff80100000ul, 10));
    failures += check("write(unmapped)", write(1, (void *)0x12345000, 10));
    failures += check("write(non-canonical)", write(1, (void *)0x0000800000000000ul, 10));
    failures += check("read(into code)", read(0, (void *)main, 1));
    return failures;
}
