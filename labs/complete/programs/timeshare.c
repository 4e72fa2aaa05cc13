/* timeshare [N]: two processes that never give the CPU up, so only the timer's
 * preemption lets them take turns: a parent and its child each count to N
 * (default 100 million), then on until the timer has taken the CPU from them
 * twice, then the parent waits for the child. For the gdb tours keel-guide
 * timer and keel-guide switch (tools/gdb/keel_walkthroughs.py). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void count(long n)
{
    for (volatile long i = 0; i < n; i = i + 1)
        ;
}

/* Involuntary context switches so far: the ticks that preempted us. */
static long preemptions(void)
{
    struct rusage usage;
    return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_nivcsw : -1;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000000;
    pid_t child = fork();
    if (child < 0)
        return 1;
    count(n);
    /* A fast host counts to N within one time slice, and then no tick would
     * preempt anyone. Go on in tenths of N, up to ten times as long (Linux on
     * an idle multi-core host may never preempt us). */
    for (int rounds = 0; rounds < 100 && preemptions() < 2; rounds++)
        count(n / 10 + 1);
    if (child == 0)
        return 0;
    int status = 0;
    if (waitpid(child, &status, 0) != child || status != 0)
        return 2;
    printf("timeshare: both processes counted to %ld\n", n);
    return 0;
}
