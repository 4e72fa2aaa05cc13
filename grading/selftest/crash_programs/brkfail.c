/* Issue 11: a brk that runs out of memory part-way must give back what it
 * mapped (Linux leaves the break unchanged and frees nothing it kept). Ask
 * for far more than the machine has (once: it fills the machine's memory
 * before failing, seconds under QEMU), then check that memory
 * is still there: a fork (which copies the whole program) and a 4 MiB
 * mapping must succeed. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    uintptr_t start = (uintptr_t)syscall(SYS_brk, 0);
    uintptr_t got = (uintptr_t)syscall(SYS_brk, start + (64ul << 30)); /* 64 GiB */
    if (got != start) {
        printf("brk(+64 GiB) moved the break to %#lx (expected it unchanged)\n",
               (unsigned long)got);
        return 1;
    }
    char *block = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) {
        printf("after failed brks, a 4 MiB mmap fails: their memory was not given back\n");
        return 1;
    }
    memset(block, 1, 4 << 20);
    pid_t child = fork();
    if (child < 0) {
        printf("after failed brks, fork fails: their memory was not given back\n");
        return 1;
    }
    if (child == 0)
        _exit(7);
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 7) {
        printf("child status %#x\n", status);
        return 1;
    }
    printf("brkfail: memory intact\n");
    return 0;
}
