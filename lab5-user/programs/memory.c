/* The heap (brk through malloc) and anonymous mappings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    /* musl's brk() wrapper always fails on purpose: ask the kernel directly. */
    char *start = (char *)syscall(SYS_brk, 0);
    if ((char *)syscall(SYS_brk, start + 100000) != start + 100000)
        return 1;
    memset(start, 'x', 100000);
    char *small = malloc(1000), *big = malloc(1 << 20);
    if (!small || !big)
        return 2;
    memset(big, 7, 1 << 20);
    char *mapped = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED || mapped[0] != 0)
        return 3;
    strcpy(mapped + 8192, "mapped");
    if (munmap(mapped, 3 * 4096) != 0)
        return 4;
    long sum = 0;
    for (int i = 0; i < (1 << 20); i += 4096)
        sum += big[i];
    printf("heap and mappings ok, sum %ld\n", sum);
    free(big);
    free(small);
    return 0;
}
