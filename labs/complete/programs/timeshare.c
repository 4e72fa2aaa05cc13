/* timeshare [N]: two processes that never give the CPU up, so only the timer's
 * preemption lets them take turns: a parent and its child each count to N
 * (default 100 million), then the parent waits for the child. For the gdb
 * tours keel-guide timer and keel-guide switch (tools/gdb/keel_walkthroughs.py). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void count(long n)
{
    for (volatile long i = 0; i < n; i = i + 1)
        ;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000000;
    pid_t child = fork();
    if (child < 0)
        return 1;
    count(n);
    if (child == 0)
        return 0;
    int status = 0;
    if (waitpid(child, &status, 0) != child || status != 0)
        return 2;
    printf("timeshare: both processes counted to %ld\n", n);
    return 0;
}
