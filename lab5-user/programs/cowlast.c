/* Shared frames go back to their last owner: after the child that shared
 * them has exited, or replaced its program with execve, the parent's
 * writes each take one fault and no frame (nothing is left to copy for).
 * Pages shared by three processes survive the exit of two of them. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"

#define PAGES 24

static _Alignas(PAGE) volatile char data[PAGES * PAGE];

/* 0 if every page still holds the parent's pattern `round`. */
static int check(int round)
{
    int changed = 0;
    for (int i = 0; i < PAGES; i++)
        changed += data[i * PAGE] != (char)(round * 64 + i) || data[i * PAGE + 4095] != (char)i;
    return changed;
}

/* The parent writes every page after its sharers are gone. */
static int write_alone(const char *after, int round)
{
    minor_faults();
    long faults_before = minor_faults(), frames_before = free_pages();
    for (int i = 0; i < PAGES; i++)
        data[i * PAGE] = (char)(round * 64 + i);
    long faults = minor_faults() - faults_before, frames = frames_before - free_pages();
    printf("cowlast: after %s, writing %d pages took %ld faults and %ld frames\n", after, PAGES,
           faults, frames);
    return faults == PAGES && frames <= 2 ? 0 : 1;
}

static int wait_for(pid_t child, int expected)
{
    int status;
    return waitpid(child, &status, 0) == child && WIFEXITED(status) &&
                   WEXITSTATUS(status) == expected
               ? 0
               : 1;
}

int main(void)
{
    for (int i = 0; i < PAGES; i++) {
        data[i * PAGE] = (char)i;
        data[i * PAGE + 4095] = (char)i;
    }
    int bad = 0;
    /* A child that execs: its shares go with its old program. */
    pid_t child = fork();
    if (child == 0) {
        char *const argv[] = {"hello", NULL}, *const envp[] = {NULL};
        execve("hello", argv, envp);
        _exit(99);
    }
    bad |= child < 0 || wait_for(child, 3); /* hello's exit code */
    bad |= write_alone("a child's execve", 1);
    /* A child that exits at once. */
    if ((child = fork()) == 0)
        _exit(7);
    bad |= child < 0 || wait_for(child, 7);
    bad |= write_alone("a child's exit", 2);
    /* Three sharers: two children, one exits at once, one checks and
     * writes; the parent's pages must be intact throughout. */
    pid_t first = fork();
    if (first == 0)
        _exit(0);
    pid_t second = fork();
    if (second == 0) {
        int wrong = check(2);
        for (int i = 0; i < PAGES; i++)
            data[i * PAGE + 4095] = 'c';
        _exit(wrong ? 1 : 0);
    }
    bad |= (first < 0 || second < 0 || wait_for(first, 0)) | wait_for(second, 0) << 1;
    bad |= (check(2) != 0) << 2;
    bad |= write_alone("three sharers", 3) << 3;
    bad |= (check(3) != 0) << 4;
    printf("cowlast: %s\n", bad ? "FAILED" : "every page back with its last owner, intact");
    return bad;
}
