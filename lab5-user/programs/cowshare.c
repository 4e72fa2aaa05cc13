/* Copy-on-write fork: the child shares every page until it writes one; each
 * page it writes costs it exactly one fault, and the parent never sees the
 * child's writes. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faults.h"

#define PAGES   48
#define WRITTEN 13

static _Alignas(PAGE) volatile char data[PAGES * PAGE];

int main(void)
{
    for (int i = 0; i < PAGES; i++)
        data[i * PAGE] = (char)('a' + i % 26);
    pid_t child = fork();
    if (child < 0)
        return 2;
    if (child == 0) {
        minor_faults(); /* its stack page is the child's own from here on */
        long before = minor_faults();
        for (int i = 0; i < WRITTEN; i++)
            data[(i * 3 % PAGES) * PAGE] = 'X';
        long faults = minor_faults() - before;
        printf("cowshare: the child wrote %d pages and took %ld page faults\n", WRITTEN, faults);
        return faults == WRITTEN ? 0 : 1;
    }
    int status;
    if (waitpid(child, &status, 0) != child)
        return 3;
    int changed = 0;
    for (int i = 0; i < PAGES; i++)
        changed += data[i * PAGE] != (char)('a' + i % 26);
    printf("cowshare: %d of the parent's pages changed\n", changed);
    if (changed)
        return 4;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 5;
}
