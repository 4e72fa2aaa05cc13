/* The same static program on Keel and on Linux (make bench): time stamp
 * counter ticks per null system call and per fork + exit + wait. Under one
 * QEMU configuration both kernels see the same counter, so the ratio of the
 * two figures compares the kernels. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long long ticks(void)
{
    unsigned lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((unsigned long long)hi << 32) | lo;
}

int main(void)
{
    enum { CALLS = 20000, FORKS = 100 };
    unsigned long long start = ticks();
    for (int i = 0; i < CALLS; i++)
        syscall(SYS_getpid);
    unsigned long long calls = (ticks() - start) / CALLS;
    start = ticks();
    for (int i = 0; i < FORKS; i++) {
        pid_t child = fork();
        if (child == 0)
            _exit(0);
        int status;
        waitpid(child, &status, 0);
    }
    unsigned long long forks = (ticks() - start) / FORKS;
    printf("BENCH null_syscall_ticks %llu\nBENCH fork_exit_wait_ticks %llu\n", calls, forks);
    return 0;
}
