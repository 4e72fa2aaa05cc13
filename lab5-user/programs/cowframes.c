/* Copy-on-write fork copies no data page up front: the child of a process
 * with 1024 touched pages finds free memory barely changed by the fork. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"

#define PAGES 1024
#define LIMIT 64 /* page tables, a kernel stack: far fewer than the pages */

int main(void)
{
    volatile char *memory = malloc(PAGES * PAGE);
    if (!memory)
        return 2;
    for (int i = 0; i < PAGES; i++)
        memory[i * PAGE] = (char)i;
    long before = free_pages();
    pid_t child = fork();
    if (child < 0)
        return 3;
    if (child == 0) {
        long used = before - free_pages();
        printf("cowframes: fork of %d touched pages used %ld frames\n", PAGES, used);
        long sum = 0;
        for (int i = 0; i < PAGES; i++)
            sum += memory[i * PAGE] != (char)i;
        if (before < 0 || sum)
            return 4;
        return used < LIMIT ? 0 : 1;
    }
    int status;
    if (waitpid(child, &status, 0) != child)
        return 5;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 6;
}
