/* forksum N1 N2 ...: one child per number, each computing from its number and
 * its copy of the parent's memory, exiting with the result; the parent
 * collects every result (the first half by pid, the rest with waitpid(-1))
 * and checks that no child's writes reached its own memory. The kernel test
 * fork_children_return_seeded_results runs it with seeded numbers. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN_MAX 8
#define WORDS        3000 /* 12000 bytes: the table spans several pages */

/* In the program's data segment: a child's result depends on memory of every
 * kind a process has (this, the table from malloc, the numbers on the stack). */
static uint32_t salt = 7;

/* Steps of the 3n + 1 problem from n down to 1: some real work per child. */
static unsigned collatz_steps(uint64_t n)
{
    unsigned steps = 0;
    for (; n > 1; steps++)
        n = n % 2 ? 3 * n + 1 : n / 2;
    return steps;
}

static void describe(int status, char *text, size_t size)
{
    if (WIFEXITED(status))
        snprintf(text, size, "exited with %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(text, size, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(text, size, "has wait status %#x", status);
}

int main(int argc, char **argv)
{
    int children = argc - 1;
    if (children < 1 || children > CHILDREN_MAX) {
        printf("forksum: give 1 to %d numbers\n", CHILDREN_MAX);
        return 100;
    }
    uint32_t numbers[CHILDREN_MAX];
    for (int i = 0; i < children; i++)
        numbers[i] = (uint32_t)strtoul(argv[i + 1], NULL, 10);

    /* A table on the heap, filled from the first number. */
    uint32_t *table = malloc(WORDS * sizeof(*table));
    if (!table)
        return 101;
    uint32_t x = numbers[0];
    for (int j = 0; j < WORDS; j++) {
        x = x * 1103515245u + 12345u;
        table[j] = x >> 8;
    }

    pid_t pids[CHILDREN_MAX];
    fflush(stdout); /* nothing buffered may be written twice, by a child too */
    for (int i = 0; i < children; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            printf("forksum: fork %d failed (errno %d)\n", i, errno);
            return 102;
        }
        if (pid == 0) {
            /* The child: its number and every children-th word of its copy. */
            uint32_t sum = collatz_steps(numbers[i]) + salt;
            for (int j = i; j < WORDS; j += children)
                sum += table[j];
            /* None of this may reach the parent's memory. */
            for (int j = 0; j < WORDS; j++)
                table[j] = ~table[j];
            salt = 0;
            _exit((int)(sum & 0xff));
        }
        pids[i] = pid;
        /* Only children forked later see these. */
        table[i] += 0x1000u + (uint32_t)i;
        salt = salt * 31u + (uint32_t)i;
    }

    int statuses[CHILDREN_MAX];
    bool collected[CHILDREN_MAX] = {false};
    /* The first half by pid, last forked first: a kernel that hands back
     * whichever child ended first, not the one asked for, shows here. */
    int by_pid = (children + 1) / 2;
    for (int i = by_pid - 1; i >= 0; i--) {
        pid_t got = waitpid(pids[i], &statuses[i], 0);
        if (got != pids[i]) {
            printf("forksum: waitpid(%d) returned %d (errno %d)\n", pids[i], got, errno);
            return 103;
        }
        collected[i] = true;
    }
    for (int n = by_pid; n < children; n++) {
        int status;
        pid_t got = waitpid(-1, &status, 0);
        int i = 0;
        while (i < children && (pids[i] != got || collected[i]))
            i++;
        if (i == children) {
            printf("forksum: waitpid(-1) returned %d (errno %d), not a child still running\n", got,
                   errno);
            return 104;
        }
        statuses[i] = status;
        collected[i] = true;
    }

    int total = 0;
    for (int i = 0; i < children; i++) {
        char text[48];
        describe(statuses[i], text, sizeof(text));
        printf("forksum: child %d (n=%u) %s\n", i, numbers[i], text);
        total += WIFEXITED(statuses[i]) ? WEXITSTATUS(statuses[i]) : 0;
    }
    pid_t extra = waitpid(-1, NULL, 0);
    if (extra == -1 && errno == ECHILD)
        printf("forksum: no children left (ECHILD)\n");
    else
        printf("forksum: waitpid(-1) with no children returned %d (errno %d)\n", extra, errno);
    uint32_t checksum = 0;
    for (int j = 0; j < WORDS; j++)
        checksum += table[j];
    printf("forksum: the parent's table adds up to %u, its salt is %u\n", checksum, salt);
    free(table);
    return total & 0xff;
}
