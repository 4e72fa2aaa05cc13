/* An unknown system call must return ENOSYS. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    long result = syscall(999);
    printf("syscall(999) = %ld, errno %d\n", result, errno);
    return result == -1 && errno == ENOSYS ? 0 : 1;
}
